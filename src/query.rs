//! User queries: from the text a researcher types to a tantivy query, or a clear error.
//!
//! Syntax (tantivy's query language): words, `"exact phrases"`, `+required`, `-excluded`,
//! `field:value` and `field:"a phrase"` on the fields of [`crate::schema::QUERY_FIELDS`],
//! `AND`, `OR`, `NOT` and parentheses. Words without an operator are alternatives ranked by
//! BM25 over passage text and title, the title boosted by [`TITLE_BOOST`].
//!
//! Errors are one line, say where the problem is (quote and parenthesis balance is checked
//! here, with the column, before tantivy sees the query) and what to do about it.

use crate::error::{Error, ErrorKind, Result};
use crate::index::QuarryIndex;
use crate::schema::{QUERY_FIELDS, REC_PASSAGE};
use std::collections::HashSet;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, QueryParserError, TermQuery,
};
use tantivy::query_grammar::UserInputAst;
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

/// How much more a title match counts than a passage-text match.
pub const TITLE_BOOST: f32 = 2.0;

/// A parsed query, ready to run, with the terms to highlight in passage text.
pub struct ParsedQuery {
    /// The query, restricted to passage records.
    pub query: Box<dyn Query>,
    /// Analysed terms of the `text` field (stemmed, lower case), for highlighting.
    pub text_terms: HashSet<String>,
}

impl std::fmt::Debug for ParsedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedQuery")
            .field("query", &self.query)
            .field("text_terms", &self.text_terms)
            .finish()
    }
}

fn field_list() -> String {
    QUERY_FIELDS
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn query_error(message: String, hint: impl Into<String>) -> Error {
    Error::new(ErrorKind::Query, message).with_hint(hint)
}

/// Checks quote and parenthesis balance; the error names the 1-based column.
fn check_balance(input: &str) -> Result<()> {
    let mut open_quote: Option<usize> = None;
    let mut parens: Vec<usize> = Vec::new();
    for (col, c) in input.chars().enumerate().map(|(i, c)| (i + 1, c)) {
        match c {
            '"' => {
                open_quote = match open_quote {
                    Some(_) => None,
                    None => Some(col),
                }
            }
            '(' if open_quote.is_none() => parens.push(col),
            ')' if open_quote.is_none() && parens.pop().is_none() => {
                return Err(query_error(
                    format!("unmatched ')' at column {col} of the query"),
                    "remove it, or open it with '('",
                ));
            }
            _ => {}
        }
    }
    if let Some(col) = open_quote {
        return Err(query_error(
            format!("unclosed quote at column {col} of the query"),
            "close the phrase with another '\"'",
        ));
    }
    if let Some(col) = parens.pop() {
        return Err(query_error(
            format!("unclosed '(' at column {col} of the query"),
            "close it with ')'",
        ));
    }
    Ok(())
}

/// Parses `input` for `index`.
pub fn parse(index: &QuarryIndex, input: &str) -> Result<ParsedQuery> {
    let input = input.trim();
    if input.is_empty() {
        return Err(query_error(
            "empty query".to_string(),
            "give words to search for, e.g. quarry search \"Zhenhua Data\"",
        ));
    }
    check_balance(input)?;
    let f = index.fields();
    let mut parser = QueryParser::for_index(index.tantivy(), vec![f.text, f.title]);
    parser.set_field_boost(f.title, TITLE_BOOST);
    let ast = tantivy::query_grammar::parse_query(input)
        .map_err(|_| translate(QueryParserError::SyntaxError(input.to_string()), input))?;
    let user_query = parser
        .build_query_from_user_input_ast(hoist_negations(ast))
        .map_err(|e| translate(e, input))?;

    let mut text_terms = HashSet::new();
    user_query.query_terms(&mut |term: &Term, _| {
        if term.field() == f.text {
            if let Some(s) = term.value().as_str() {
                text_terms.insert(s.to_string());
            }
        }
    });
    let only_passages: Box<dyn Query> = Box::new(ConstScoreQuery::new(
        Box::new(TermQuery::new(
            Term::from_field_text(f.rec, REC_PASSAGE),
            IndexRecordOption::Basic,
        )),
        0.0,
    ));
    let query = Box::new(BooleanQuery::new(vec![
        (Occur::Must, user_query),
        (Occur::Must, only_passages),
    ]));
    Ok(ParsedQuery { query, text_terms })
}

/// Rewrites `a AND NOT b`, which the grammar reads as "a, and a clause that only excludes b"
/// (a clause that matches nothing), into "a, excluding b", as users mean it.
fn hoist_negations(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(items) => UserInputAst::Clause(
            items
                .into_iter()
                .map(|(occur, child)| match hoist_negations(child) {
                    UserInputAst::Clause(mut inner)
                        if matches!(occur, Some(Occur::Must) | None)
                            && inner.len() == 1
                            && inner[0].0 == Some(Occur::MustNot) =>
                    {
                        let (_, negated) = inner.remove(0);
                        (Some(Occur::MustNot), negated)
                    }
                    other => (occur, other),
                })
                .collect(),
        ),
        UserInputAst::Boost(inner, boost) => {
            UserInputAst::Boost(Box::new(hoist_negations(*inner)), boost)
        }
        leaf => leaf,
    }
}

fn translate(err: QueryParserError, input: &str) -> Error {
    match err {
        QueryParserError::FieldDoesNotExist(name) => query_error(
            format!("unknown field '{name}' in the query"),
            format!(
                "fields are {}; to search for '{name}:' as words, put them in quotes",
                field_list()
            ),
        ),
        QueryParserError::FieldNotIndexed(name) => query_error(
            format!("field '{name}' cannot be searched"),
            format!("searchable fields are {}", field_list()),
        ),
        QueryParserError::AllButQueryForbidden => query_error(
            "the query only excludes terms".to_string(),
            "add a term to search for, e.g. 'surveillance -china'",
        ),
        QueryParserError::SyntaxError(_) => query_error(
            format!("cannot parse the query '{input}'"),
            "check the operators: AND, OR and NOT need a term on each side; \
             quote words that contain ':' or operators",
        ),
        other => query_error(
            format!("cannot use the query '{input}': {other}"),
            "see quarry search --help for the query syntax",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balance_errors_name_the_column() {
        let e = check_balance("china \"zhenhua data").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Query);
        assert!(e.to_string().contains("column 7"), "{e}");
        let e = check_balance("(a OR b").unwrap_err();
        assert!(e.to_string().contains("unclosed '(' at column 1"), "{e}");
        let e = check_balance("a OR b)").unwrap_err();
        assert!(e.to_string().contains("column 7"), "{e}");
        assert!(check_balance("\"(\" and (b)").is_ok());
    }
}
