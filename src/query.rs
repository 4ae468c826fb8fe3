//! User queries: from the text a researcher types to a tantivy query, or a clear error.
//!
//! Syntax (tantivy's query language): words, `"exact phrases"`, `+required`, `-excluded`,
//! `field:value` and `field:"a phrase"` on the fields of [`crate::schema::QUERY_FIELDS`],
//! `AND`, `OR`, `NOT` and parentheses. Words without an operator are alternatives ranked by
//! BM25 over passage text and title, the title boosted by [`TITLE_BOOST`].
//!
//! Errors are one line, say where the problem is (quote and parenthesis balance is checked
//! here, with the column, before tantivy sees the query) and what to do about it.

use crate::analysis::translit::latin_variants;
use crate::analysis::TEXT_FIELDS;
use crate::error::{Error, ErrorKind, Result};
use crate::index::QuarryIndex;
use crate::schema::{QUERY_FIELDS, REC_PASSAGE};
use std::collections::HashSet;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, QueryParser,
    QueryParserError, TermQuery,
};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TokenStream;
use tantivy::Term;

/// How much more a title match counts than a passage-text match.
pub const TITLE_BOOST: f32 = 2.0;

/// How much a cross-script name match counts (Prigozhin finding Пригожин).
pub const TRANSLIT_BOOST: f32 = 0.5;

/// A parsed query, ready to run, with the terms to highlight in passage text.
pub struct ParsedQuery {
    /// The query, restricted to passage records.
    pub query: Box<dyn Query>,
    /// Analysed terms per text field (in the order of [`crate::analysis::TEXT_FIELDS`]), for
    /// highlighting a passage indexed in that field.
    pub text_terms: Vec<HashSet<String>>,
    /// Analysed terms of the `translit` field, for highlighting names across scripts.
    pub translit_terms: HashSet<String>,
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
    let mut default_fields = f.text.clone();
    default_fields.push(f.title);
    let mut parser = QueryParser::for_index(index.tantivy(), default_fields);
    parser.set_field_boost(f.title, TITLE_BOOST);
    parser.set_field_boost(f.translit, TRANSLIT_BOOST);
    let ast = tantivy::query_grammar::parse_query(input)
        .map_err(|_| translate(QueryParserError::SyntaxError(input.to_string()), input))?;
    let user_query = parser
        .build_query_from_user_input_ast(expand_fields(hoist_negations(ast)))
        .map_err(|e| translate(e, input))?;

    let mut text_terms = vec![HashSet::new(); f.text.len()];
    let mut translit_terms = HashSet::new();
    user_query.query_terms(&mut |term: &Term, _| {
        let value = term.value();
        let Some(s) = value.as_str() else {
            return;
        };
        if let Some(i) = f.text.iter().position(|&t| t == term.field()) {
            text_terms[i].insert(s.to_string());
        } else if term.field() == f.translit {
            translit_terms.insert(s.to_string());
        }
    });
    let user_query = match proximity(index, input) {
        Some(near) => Box::new(BooleanQuery::new(vec![
            (Occur::Must, user_query),
            (Occur::Should, near),
        ])),
        None => user_query,
    };
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
    Ok(ParsedQuery {
        query,
        text_terms,
        translit_terms,
    })
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

/// How much a pair of query words found close together (within [`PROXIMITY_SLOP`] words, in
/// order) adds, relative to the words' own scores.
pub const PROXIMITY_BOOST: f32 = 0.5;
/// How far apart two consecutive query words may be to count as close.
pub const PROXIMITY_SLOP: u32 = 2;

/// For a query of plain words (no operators, fields or quotes), a query that rewards passages
/// where consecutive query words stand close together, in order: "rapid alert system" ranks the
/// passage that names the Rapid Alert System above one that has the three words apart.
fn proximity(index: &QuarryIndex, input: &str) -> Option<Box<dyn Query>> {
    let plain = input.split_whitespace().all(|w| {
        !w.contains([':', '"', '(', ')', '*', '~', '^', '[', ']', '{', '}'])
            && !w.starts_with(['+', '-'])
            && !matches!(w, "AND" | "OR" | "NOT")
    });
    if !plain {
        return None;
    }
    let f = index.fields();
    let mut pairs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field_def, &field) in TEXT_FIELDS.iter().zip(&f.text) {
        let mut analyzer = crate::analysis::text_analyzer(field_def);
        let mut stream = analyzer.token_stream(input);
        let mut tokens: Vec<(usize, String)> = Vec::new();
        while let Some(t) = stream.next() {
            tokens.push((t.position, t.text.clone()));
        }
        for w in tokens.windows(2) {
            if w[0].1 == w[1].1 {
                continue;
            }
            let mut phrase = PhraseQuery::new(vec![
                Term::from_field_text(field, &w[0].1),
                Term::from_field_text(field, &w[1].1),
            ]);
            phrase.set_slop(PROXIMITY_SLOP);
            pairs.push((Occur::Should, Box::new(phrase)));
        }
    }
    if pairs.is_empty() {
        return None;
    }
    Some(Box::new(BoostQuery::new(
        Box::new(BooleanQuery::new(pairs)),
        PROXIMITY_BOOST,
    )))
}

/// Rewrites leaves of the query for quarry's fields:
/// - `text:word` looks in every language's text field, not only the default one;
/// - a plain word of letters only, without a field, is also looked up as a name in the other
///   script: a Latin word in the `translit` field (finding its Cyrillic spellings), a Cyrillic
///   word in its English transliterations (see [`crate::analysis::translit`]).
fn expand_fields(ast: UserInputAst) -> UserInputAst {
    match ast {
        UserInputAst::Clause(items) => UserInputAst::Clause(
            items
                .into_iter()
                .map(|(occur, child)| (occur, expand_fields(child)))
                .collect(),
        ),
        UserInputAst::Boost(inner, boost) => {
            UserInputAst::Boost(Box::new(expand_fields(*inner)), boost)
        }
        UserInputAst::Leaf(leaf) => match *leaf {
            UserInputLeaf::Literal(lit) if lit.field_name.as_deref() == Some("text") => {
                let alternatives = TEXT_FIELDS
                    .iter()
                    .map(|tf| {
                        let mut l = lit.clone();
                        l.field_name = Some(tf.field.to_string());
                        (
                            Some(Occur::Should),
                            UserInputAst::from(UserInputLeaf::Literal(l)),
                        )
                    })
                    .collect();
                UserInputAst::Clause(alternatives)
            }
            UserInputLeaf::Literal(lit)
                if lit.field_name.is_none()
                    && lit.delimiter == Delimiter::None
                    && !lit.prefix
                    && lit.phrase.chars().all(char::is_alphabetic) =>
            {
                let variants = latin_variants(&lit.phrase);
                let mut alternatives = vec![(
                    Some(Occur::Should),
                    UserInputAst::from(UserInputLeaf::Literal(lit.clone())),
                )];
                if variants.is_empty() {
                    // A Latin word: also look for its Cyrillic spellings.
                    let mut names = lit;
                    names.field_name = Some("translit".to_string());
                    alternatives.push((
                        Some(Occur::Should),
                        UserInputAst::from(UserInputLeaf::Literal(names)),
                    ));
                } else {
                    // A Cyrillic word: also look for its English spellings.
                    for v in variants {
                        let mut latin = lit.clone();
                        latin.phrase = v;
                        alternatives.push((
                            Some(Occur::Should),
                            UserInputAst::from(UserInputLeaf::Literal(latin)),
                        ));
                    }
                }
                UserInputAst::Clause(alternatives)
            }
            other => UserInputAst::Leaf(Box::new(other)),
        },
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
