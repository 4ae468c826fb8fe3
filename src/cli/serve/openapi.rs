//! The OpenAPI 3.0 description of the JSON API, served at `/api/v1/openapi.json`. It is made
//! from the clap definitions the requests are parsed with, so every option of a command is a
//! documented parameter of its endpoint, with its help text, and the two cannot drift apart.

use super::super::Cli;
use clap::CommandFactory;
use serde_json::{json, Map, Value};

/// Options that belong to the server, not to a request.
const NOT_PARAMETERS: [&str; 7] = [
    "index", "model", "color", "quiet", "format", "help", "version",
];

/// The query parameters of the endpoint that runs `command`.
fn parameters(command: &str, skip: &[&str]) -> Vec<Value> {
    let cli = Cli::command();
    let Some(sub) = cli.find_subcommand(command) else {
        return Vec::new();
    };
    sub.get_arguments()
        .filter_map(|arg| {
            let name = arg.get_long()?;
            if NOT_PARAMETERS.contains(&name) || skip.contains(&name) {
                return None;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .map(|v| v.get_name().to_string())
                .collect();
            let schema = if !arg.get_action().takes_values() {
                json!({"type": "boolean"})
            } else if !values.is_empty() {
                json!({"type": "string", "enum": values})
            } else if name == "extra" {
                json!({"type": "string", "pattern": "^[^=]+=.+$"})
            } else {
                type_of(arg.get_value_parser())
            };
            Some(json!({
                "name": name,
                "in": "query",
                "required": false,
                "description": help,
                "schema": schema,
            }))
        })
        .collect()
}

/// The JSON schema of what a value parser accepts: integers and numbers by their Rust type,
/// anything else as a string.
fn type_of(parser: &clap::builder::ValueParser) -> Value {
    use std::any::TypeId;
    let id = parser.type_id();
    let unsigned = [
        TypeId::of::<usize>(),
        TypeId::of::<u64>(),
        TypeId::of::<u32>(),
        TypeId::of::<u16>(),
        TypeId::of::<u8>(),
    ];
    if unsigned.iter().any(|t| id == *t) {
        json!({"type": "integer", "minimum": 0})
    } else if id == TypeId::of::<i64>() || id == TypeId::of::<i32>() {
        json!({"type": "integer"})
    } else if id == TypeId::of::<f32>() || id == TypeId::of::<f64>() {
        json!({"type": "number"})
    } else {
        json!({"type": "string"})
    }
}

fn path_parameter(name: &str, description: &str, pattern: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": {"type": "string", "pattern": pattern}})
}

const PASSAGE_ID: &str = "^[0-9a-fA-F]{16}-[0-9]+$";
const DOC_ID: &str = "^[0-9a-fA-F]{16}$";

fn query_parameter(name: &str, description: &str, required: bool, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": description, "schema": schema})
}

fn operation(summary: &str, parameters: Vec<Value>, formats: bool) -> Value {
    let mut content = Map::new();
    content.insert(
        "application/json".into(),
        json!({"schema": {"type": "object"}}),
    );
    if formats {
        content.insert(
            "application/jsonl".into(),
            json!({"schema": {"type": "string"}}),
        );
        content.insert("text/csv".into(), json!({"schema": {"type": "string"}}));
    }
    let error = json!({
        "description": "An error: {error, hint, status}",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    });
    json!({
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "The command's JSON (docs/json.md)", "content": content},
                "400": error,
                "401": error,
                "404": error,
                "500": error,
                "503": error,
            },
        }
    })
}

/// The description.
pub(super) fn spec() -> Value {
    let q = || {
        query_parameter(
            "q",
            "The query (docs/query.md)",
            true,
            json!({"type": "string"}),
        )
    };
    let format = || {
        query_parameter(
            "format",
            "json (default), or jsonl or csv to export",
            false,
            json!({"type": "string", "enum": ["json", "jsonl", "csv"]}),
        )
    };
    let with = |mut first: Vec<Value>, rest: Vec<Value>| {
        first.extend(rest);
        first
    };
    let search_skip = ["count", "facet", "timeline", "by"];
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "quarry",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Passage search with citations over an index built by quarry index. Every parameter is the long option of the matching command line (docs/api.md); the JSON is the command line's (docs/json.md).",
        },
        "paths": {
            "/api/v1/search": operation("Ranked passages (or documents with group=doc)", with(vec![q(), format()], parameters("search", &search_skip)), true),
            "/api/v1/count": operation("How many passages and documents match", with(vec![q()], parameters("search", &["count", "facet", "timeline", "by", "mode", "model", "group"])), false),
            "/api/v1/facets": operation("Matches counted by a metadata field", with(vec![q(), query_parameter("facet", "publisher, author, tag, kind, lang, format, year, or an indicator kind (domain, email, handle, hashtag, channel, hash); comma-separated for several", true, json!({"type": "string"}))], parameters("search", &["count", "facet", "timeline", "by", "mode", "model", "group"])), false),
            "/api/v1/timeline": operation("Matches over time", with(vec![q()], parameters("search", &["count", "facet", "timeline", "mode", "model", "group"])), false),
            "/api/v1/similar/{passage_id}": operation("Passages of other documents most like a passage", with(vec![path_parameter("passage_id", "A passage id (DOCID-N)", PASSAGE_ID), format()], parameters("similar", &[])), true),
            "/api/v1/passages/{passage_id}": operation("A passage, with neighbours", with(vec![path_parameter("passage_id", "A passage id (DOCID-N)", PASSAGE_ID)], parameters("show", &[])), false),
            "/api/v1/documents/{doc_id}": operation("A document's metadata and text", with(vec![path_parameter("doc_id", "A document id (16 hex digits)", DOC_ID)], parameters("show", &["context"])), false),
            "/api/v1/stats": operation("What the index holds", vec![], false),
            "/api/v1/indicators": operation("The domains, URLs, addresses, handles, hashtags, channels and hashes that matching passages name, with passages, documents, dates and publishers", with(vec![query_parameter("q", "The query (docs/query.md); every passage without one", false, json!({"type": "string"})), format()], parameters("indicators", &["format"])), false),
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "status"],
                    "properties": {
                        "error": {"type": "string"},
                        "hint": {"type": "string", "nullable": true},
                        "status": {"type": "integer"},
                    },
                },
            },
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "Required when the server was started with --token"},
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_search_option_is_a_documented_parameter() {
        let spec = spec();
        let names: Vec<&str> = spec["paths"]["/api/v1/search"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for want in [
            "q",
            "limit",
            "offset",
            "publisher",
            "since",
            "mode",
            "explain",
            "group",
            "fields",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert!(!names.contains(&"index"));
        let explain = spec["paths"]["/api/v1/search"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "explain")
            .unwrap();
        assert_eq!(explain["schema"]["type"], "boolean");
        let limit = spec["paths"]["/api/v1/search"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "limit")
            .unwrap();
        assert_eq!(limit["schema"]["type"], "integer");
        assert!(!explain["description"]
            .as_str()
            .unwrap_or_default()
            .is_empty());
    }
}
