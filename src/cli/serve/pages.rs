//! The web pages of `quarry serve`: a search page, a passage view and a document view, rendered
//! on the server (usable without JavaScript) from the same JSON the API answers with, through
//! minijinja templates compiled into the binary with their stylesheet (no CDN, no build step).
//! Every page's URL holds its whole state, so a search can be bookmarked and shared.

use super::{command_line, run_command, Reply, Shared};
use minijinja::{context, Environment};
use serde_json::{json, Value};

const BASE: &str = include_str!("templates/base.html");
const SEARCH: &str = include_str!("templates/search.html");
const PASSAGE: &str = include_str!("templates/passage.html");
const DOCUMENT: &str = include_str!("templates/document.html");
const STYLE: &str = include_str!("templates/style.css");
const SCRIPT: &str = include_str!("templates/app.js");

/// Hits per page.
const PER_PAGE: usize = 10;

/// The search page's own parameters, and the filters it passes on to the search.
const FILTERS: [&str; 15] = [
    "publisher",
    "author",
    "tag",
    "kind",
    "lang",
    "type",
    "domain",
    "email",
    "handle",
    "hashtag",
    "channel",
    "hash",
    "since",
    "until",
    "mode",
];

/// Facets listed beside the hits, and the filter each value sets.
/// Indicators (docs/query.md) come after the document's own fields; a kind no
/// matching passage names is not shown.
const FACETS: [(&str, &str); 12] = [
    ("publisher", "publisher"),
    ("author", "author"),
    ("tag", "tag"),
    ("kind", "kind"),
    ("lang", "lang"),
    ("format", "type"),
    ("domain", "domain"),
    ("handle", "handle"),
    ("hashtag", "hashtag"),
    ("channel", "channel"),
    ("email", "email"),
    ("hash", "hash"),
];

/// The link to this page's state with some parameters set (`Some`) or removed (`None`).
type StateLink<'a> = dyn Fn(&[(&str, Option<&str>)]) -> String + 'a;

/// A hit's indicators as links, each to the search narrowed to the passages that name it (the
/// pivot an investigator makes). URLs are not a filter: they link to nothing, and their
/// domain stands beside them.
fn indicator_links(indicators: &Value, with: &StateLink) -> Vec<Value> {
    let Some(map) = indicators.as_object() else {
        return Vec::new();
    };
    let mut links = Vec::new();
    for kind in quarry::indicators::Kind::ALL {
        let name = kind.name();
        for value in map
            .get(name)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let url = kind
                .is_indexed()
                .then(|| with(&[(name, Some(value)), ("page", None)]));
            links.push(json!({"kind": name, "value": value, "url": url}));
        }
    }
    links
}

/// The templates, parsed once per process.
fn environment() -> &'static Environment<'static> {
    static ENV: std::sync::OnceLock<Environment<'static>> = std::sync::OnceLock::new();
    ENV.get_or_init(templates)
}

fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in [
        ("base.html", BASE),
        ("search.html", SEARCH),
        ("passage.html", PASSAGE),
        ("document.html", DOCUMENT),
    ] {
        // The templates are part of the binary and tested: they always parse.
        let _ = env.add_template(name, source);
    }
    env
}

fn html(status: u16, body: String) -> Reply {
    Reply {
        status,
        content_type: "text/html; charset=utf-8",
        body: body.into_bytes(),
        stream: None,
    }
}

fn render(name: &str, ctx: minijinja::Value) -> Reply {
    match environment().get_template(name).and_then(|t| t.render(ctx)) {
        Ok(page) => html(200, page),
        Err(e) => Reply::error(500, &format!("cannot render the page: {e}"), None),
    }
}

/// A page for an error, in the page's own style.
fn error_page(reply: &Reply, q: &str, token: Option<&str>) -> Reply {
    let message: Value = serde_json::from_slice(&reply.body).unwrap_or_default();
    let mut page = render(
        "search.html",
        context! {
            q => q,
            error => message["error"].as_str().unwrap_or("error"),
            hint => message["hint"].as_str(),
            token_query => token_query(token),
            token => token,
        },
    );
    page.status = reply.status;
    page
}

fn token_query(token: Option<&str>) -> String {
    token.map_or_else(String::new, |t| {
        format!("&{}", encode(&[("token".into(), t.into())]))
    })
}

/// A URL of the search page with `params`.
fn search_url(params: &[(String, String)]) -> String {
    format!("/?{}", encode(params))
}

/// Runs an API endpoint's command line and parses its JSON.
fn api(shared: &Shared, path: &str, params: &[(String, String)]) -> Result<Value, Reply> {
    let (command, argv, _) = command_line(shared, path, params)?;
    let body = run_command(shared, &command, &argv)?;
    serde_json::from_slice(&body).map_err(|e| Reply::error(500, &e.to_string(), None))
}

/// A text cut into parts, each marked or not, from character ranges.
fn marked(text: &str, ranges: &Value) -> Vec<Value> {
    let chars: Vec<char> = text.chars().collect();
    let mut parts = Vec::new();
    let mut at = 0usize;
    for r in ranges.as_array().into_iter().flatten() {
        let (Some(start), Some(end)) = (r[0].as_u64(), r[1].as_u64()) else {
            continue;
        };
        let (start, end) = (start as usize, (end as usize).min(chars.len()));
        if start < at || start >= end {
            continue;
        }
        parts.push(json!({"text": chars[at..start].iter().collect::<String>(), "mark": false}));
        parts.push(json!({"text": chars[start..end].iter().collect::<String>(), "mark": true}));
        at = end;
    }
    parts.push(
        json!({"text": chars[at.min(chars.len())..].iter().collect::<String>(), "mark": false}),
    );
    parts
}

/// Keeps a source URL only when it is a web address: a document's metadata may say
/// `javascript:...`, which must never become a link.
fn safe_url(url: &mut Value) {
    let web = url.as_str().is_some_and(|u| {
        let u = u.trim_start().to_ascii_lowercase();
        u.starts_with("http://") || u.starts_with("https://")
    });
    if !web {
        *url = Value::Null;
    }
}

fn web_url(url: &Value) -> Value {
    let mut u = url.clone();
    safe_url(&mut u);
    u
}

/// Answers a request for a page.
pub(super) fn answer(shared: &Shared, path: &str, params: &[(String, String)]) -> Reply {
    let token = params
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str());
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments[..] {
        [""] | ["search"] => search_page(shared, params, token),
        ["passage", id] => passage_page(shared, id, token),
        ["document", id] => document_page(shared, id, token),
        ["static", "style.css"] => Reply {
            status: 200,
            content_type: "text/css; charset=utf-8",
            body: STYLE.as_bytes().to_vec(),
            stream: None,
        },
        ["static", "app.js"] => Reply {
            status: 200,
            content_type: "text/javascript; charset=utf-8",
            body: SCRIPT.as_bytes().to_vec(),
            stream: None,
        },
        _ => error_page(
            &Reply::error(404, "no such page", Some("start from the search page at /")),
            "",
            token,
        ),
    }
}

fn search_page(shared: &Shared, params: &[(String, String)], token: Option<&str>) -> Reply {
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let q = get("q").unwrap_or_default();
    if q.trim().is_empty() {
        let stats = api(shared, "/api/v1/stats", &[]).unwrap_or_default();
        return render(
            "search.html",
            context! { q => "", stats => stats, token_query => token_query(token), token => token },
        );
    }
    let page: usize = get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1);
    let grouped = get("group").as_deref() == Some("doc");
    // The state of this page, as parameters: each link changes one thing.
    let mut state: Vec<(String, String)> = vec![("q".into(), q.clone())];
    for f in FILTERS {
        if let Some(v) = get(f).filter(|v| !v.is_empty()) {
            state.push((f.into(), v));
        }
    }
    if grouped {
        state.push(("group".into(), "doc".into()));
    }
    if let Some(t) = token {
        state.push(("token".into(), t.into()));
    }
    let with = |extra: &[(&str, Option<&str>)]| {
        let mut p: Vec<(String, String)> = state
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .cloned()
            .collect();
        for (k, v) in extra {
            if let Some(v) = v {
                p.push((k.to_string(), v.to_string()));
            }
        }
        search_url(&p)
    };
    let filters: Vec<(String, String)> = state
        .iter()
        .filter(|(k, _)| FILTERS.contains(&k.as_str()))
        .cloned()
        .collect();
    let mut search_params = filters.clone();
    search_params.push(("q".into(), q.clone()));
    search_params.push(("limit".into(), PER_PAGE.to_string()));
    search_params.push(("offset".into(), ((page - 1) * PER_PAGE).to_string()));
    if grouped {
        search_params.push(("group".into(), "doc".into()));
        search_params.push(("per-doc".into(), "2".into()));
    }
    let results = match api(shared, "/api/v1/search", &search_params) {
        Ok(v) => v,
        Err(reply) => return error_page(&reply, &q, token),
    };
    let mut aggregate_params: Vec<(String, String)> = filters
        .iter()
        .filter(|(k, _)| k != "mode")
        .cloned()
        .collect();
    aggregate_params.push(("q".into(), q.clone()));
    let mut facet_params = aggregate_params.clone();
    facet_params.push((
        "facet".into(),
        FACETS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(","),
    ));
    let facets_json = api(shared, "/api/v1/facets", &facet_params).unwrap_or_default();
    let timeline_json = api(shared, "/api/v1/timeline", &aggregate_params).unwrap_or_default();
    let hit_view = |h: &Value| {
        json!({
            "rank": h["rank"],
            "title": h["title"],
            "path": h["path"],
            "page": h["page"],
            "ocr_confidence": h["ocr_confidence"],
            "line": h["line"],
            "row": h["row"],
            "publisher": h["publisher"],
            "date": h["date"],
            "heading": h["heading"],
            "url": web_url(&h["url"]),
            "cite": h["cite"],
            "passage_id": h["passage_id"],
            "doc_id": h["doc_id"],
            "copies": h["also_in"].as_array().map_or(0, Vec::len),
            "snippet": marked(h["snippet"].as_str().unwrap_or_default(), &h["snippet_highlights"]),
            "indicators": indicator_links(&h["indicators"], &with),
        })
    };
    let hits: Vec<Value> = results["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(hit_view)
        .collect();
    let documents: Vec<Value> = results["documents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            json!({
                "rank": d["rank"],
                "title": d["title"],
                "path": d["path"],
                "publisher": d["publisher"],
                "date": d["date"],
                "doc_id": d["doc_id"],
                "matches": d["matches"],
                "passages": d["passages"].as_array().into_iter().flatten().map(hit_view).collect::<Vec<_>>(),
            })
        })
        .collect();
    let total = results["total"].as_u64().unwrap_or(0) as usize;
    let facets: Vec<Value> = FACETS
        .iter()
        .filter_map(|(field, filter)| {
            let values = facets_json["facets"][field]["values"].as_array()?;
            let active = get(filter);
            let items: Vec<Value> = values
                .iter()
                .take(12)
                .filter_map(|v| {
                    let value = v["value"].as_str()?;
                    let on = active.as_deref() == Some(value);
                    Some(json!({
                        "value": value,
                        "count": v["passages"],
                        "on": on,
                        "url": with(&[(filter, (!on).then_some(value)), ("page", None)]),
                    }))
                })
                .collect();
            (!items.is_empty()).then(|| json!({"field": field, "values": items}))
        })
        .collect();
    let periods: Vec<Value> = timeline_json["timeline"]["buckets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let most = periods
        .iter()
        .filter_map(|p| p["passages"].as_u64())
        .max()
        .unwrap_or(1)
        .max(1);
    let bars: Vec<Value> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let n = p["passages"].as_u64().unwrap_or(0);
            let period = p["period"].as_str().unwrap_or_default();
            json!({
                "x": i * 14,
                "height": (n * 60 / most).max(u64::from(n > 0)),
                "count": n,
                "period": period,
                "url": with(&[("since", Some(period)), ("until", Some(period)), ("page", None)]),
            })
        })
        .collect();
    let active: Vec<Value> = filters
        .iter()
        .map(|(k, v)| json!({"name": k, "value": v, "remove": with(&[(k.as_str(), None), ("page", None)])}))
        .collect();
    let page_str = |n: usize| n.to_string();
    render(
        "search.html",
        context! {
            q => q,
            hits => hits,
            documents => documents,
            grouped => grouped,
            total => total,
            page => page,
            first => (page - 1) * PER_PAGE + 1,
            prev => (page > 1).then(|| with(&[("page", Some(&page_str(page - 1)))])),
            next => (page * PER_PAGE < total).then(|| with(&[("page", Some(&page_str(page + 1)))])),
            toggle_group => if grouped { with(&[("group", None), ("page", None)]) } else { with(&[("group", Some("doc")), ("page", None)]) },
            facets => facets,
            bars => bars,
            bars_width => periods.len() * 14,
            active => active,
            since => get("since").unwrap_or_default(),
            until => get("until").unwrap_or_default(),
            keep => state.iter().filter(|(k, _)| !["since", "until", "page"].contains(&k.as_str())).cloned().collect::<Vec<_>>(),
            export_csv => format!("/api/v1/search?{}", encode(&export_params(&search_params, "csv", token))),
            export_jsonl => format!("/api/v1/search?{}", encode(&export_params(&search_params, "jsonl", token))),
            token_query => token_query(token),
            token => token,
        },
    )
}

pub(super) fn encode(params: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The parameters that export a whole result set (every hit, streamed) in `format`.
fn export_params(
    search: &[(String, String)],
    format: &str,
    token: Option<&str>,
) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = search
        .iter()
        .filter(|(k, _)| !["limit", "offset", "group", "per-doc"].contains(&k.as_str()))
        .cloned()
        .collect();
    p.push(("limit".into(), "0".into()));
    p.push(("per-doc".into(), "0".into()));
    p.push(("format".into(), format.into()));
    if let Some(t) = token {
        p.push(("token".into(), t.into()));
    }
    p
}

fn passage_page(shared: &Shared, id: &str, token: Option<&str>) -> Reply {
    let path = format!("/api/v1/passages/{id}");
    let shown = match api(shared, &path, &[("context".into(), "2".into())]) {
        Ok(v) => v,
        Err(reply) => return error_page(&reply, "", token),
    };
    // The passage with its neighbours, in document order.
    let all: Vec<Value> = shown.as_array().cloned().unwrap_or_default();
    let at = all
        .iter()
        .position(|p| p["passage_id"].as_str() == Some(id))
        .unwrap_or(0);
    let before: Vec<Value> = all.iter().take(at).cloned().collect();
    let after: Vec<Value> = all.iter().skip(at + 1).cloned().collect();
    let mut shown = all.get(at).cloned().unwrap_or_default();
    safe_url(&mut shown["url"]);
    // A PDF passage's whole page, from the passages around it on that page.
    let page_text: Vec<Value> = match shown["page"].as_u64() {
        Some(page) => api(shared, &path, &[("context".into(), "40".into())])
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p["page"].as_u64() == Some(page))
            .collect(),
        None => Vec::new(),
    };
    let similar = api(
        shared,
        &format!("/api/v1/similar/{id}"),
        &[("limit".into(), "5".into())],
    )
    .map(|v| v["hits"].clone())
    .unwrap_or_default();
    render(
        "passage.html",
        context! {
            shown => shown,
            before => before,
            after => after,
            page_text => page_text,
            similar => similar,
            token_query => token_query(token),
            token => token,
        },
    )
}

fn document_page(shared: &Shared, id: &str, token: Option<&str>) -> Reply {
    let path = format!("/api/v1/documents/{id}");
    let mut shown = match api(shared, &path, &[]) {
        Ok(v) => v,
        Err(reply) => return error_page(&reply, "", token),
    };
    safe_url(&mut shown["meta"]["url"]);
    // Its passages in order: the first with all the others as context.
    let count = shown["passages"].as_u64().unwrap_or(0);
    let passages = api(
        shared,
        &format!("/api/v1/passages/{id}-0"),
        &[("context".into(), count.to_string())],
    )
    .unwrap_or_default();
    render(
        "document.html",
        context! {
            shown => shown,
            passages => passages,
            token_query => token_query(token),
            token => token,
        },
    )
}
