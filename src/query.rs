//! User queries: from the text a researcher types to a tantivy query, or a clear error.
//!
//! The grammar is tantivy's (see docs/query.md): words, `"exact phrases"`, proximity
//! (`"a b"~5`), prefixes (`surveil*`), fuzzy words (`Prigozhin~1`), `+required`, `-excluded`,
//! `AND`, `OR`, `NOT`, parentheses, boosts (`word^2`) and `field:value` on the fields of
//! [`crate::schema::QUERY_FIELDS`]. quarry builds the query from the parsed tree itself:
//!
//! - filter fields (`publisher:`, `author:`, `tag:`, `kind:`, `lang:`, `type:`/`format:`,
//!   `path:`, `since:`, `until:`, `date:`) at the top level are required and do not score, like
//!   the command-line filters (see [`crate::filter`]);
//! - plain words are ranked by BM25 over passage text (every language's field) and title, the
//!   title boosted by [`TITLE_BOOST`], and also looked up as names in the other script;
//! - prefixes and fuzzy words are expanded against the index's term dictionary into ordinary
//!   terms, so their matches are ranked by BM25 and highlighted like any other;
//! - words are alternatives by default; [`QueryOptions::all_terms`] makes each one required.
//!
//! Errors are one line, say where the problem is (the column) and what to do about it.

use crate::analysis::translit::latin_variants;
use crate::analysis::TEXT_FIELDS;
use crate::error::{Error, ErrorKind, Result};
use crate::filter;
use crate::index::QuarryIndex;
use crate::schema::{QUERY_FIELDS, REC_PASSAGE};
use std::collections::HashSet;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, QueryParser,
    QueryParserError, TermQuery,
};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TokenStream;
use tantivy::Term;

/// How much a title match counts, relative to a passage-text match. Every passage of a
/// document carries its title, and a text file's title is also its first line, so a larger
/// weight lets the title outweigh the passage itself: 2.0 measured worse on the golden suite
/// and on both test collections; 0.1 to 0.5 measured alike (docs/ranking.md).
pub const TITLE_BOOST: f32 = 0.3;

/// The weight, in a list of passages, of the query's words found in the passages just before
/// and after a passage (the `context` field), relative to the passage's own text: see
/// [`crate::search`] and docs/ranking.md.
pub const CONTEXT_BOOST: f32 = 0.2;

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
    /// The terms that score (filters excluded), each with the factor its BM25 score is
    /// multiplied by (field boosts), for explaining scores.
    pub scoring_terms: Vec<(Term, f32)>,
    /// For a query of plain words only (no operators, fields, quotes, prefixes or fuzzy
    /// words), how many distinct words it has, stop words of any of the index's languages not
    /// counted; 0 otherwise.
    pub content_words: usize,
    /// For a query of plain words without filters: the words' query alone (no passage filter,
    /// proximity or context). Its best [`RERANK_DEPTH`] passages by BM25 are the candidates,
    /// which the whole [`ParsedQuery::query`] then scores (see `scoring::reranked`).
    pub core: Option<Box<dyn Query>>,
}

/// How many of the best passages by the words alone the whole query re-scores, for a query of
/// plain words: proximity, context and the length floor order these (docs/ranking.md).
pub const RERANK_DEPTH: usize = 100;

impl std::fmt::Debug for ParsedQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParsedQuery")
            .field("query", &self.query)
            .field("text_terms", &self.text_terms)
            .finish()
    }
}

/// Field names a query accepts beside [`QUERY_FIELDS`]: aliases and date filters.
const OTHER_FIELD_NAMES: [&str; 4] = ["type", "since", "until", "date"];

fn field_list() -> String {
    let mut names: Vec<&str> = QUERY_FIELDS.iter().map(|(name, _)| *name).collect();
    names.extend(OTHER_FIELD_NAMES);
    names.join(", ")
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

/// How a query is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryOptions {
    /// Every word (or other clause without an operator) is required, as with `+word`; by default
    /// words are alternatives, ranked by how many match and how well.
    pub all_terms: bool,
}

/// The parsed tree of `input` as every engine reads it: punctuation relaxed, quotes and
/// parentheses checked, `a AND NOT b` read as "a, excluding b"; one-line errors with the
/// column. (`--engine opensearch` translates this tree; see `crate::opensearch::query`.)
pub(crate) fn syntax_tree(input: &str) -> Result<UserInputAst> {
    read(input).map(|(_, ast)| ast)
}

/// [`syntax_tree`], with the relaxed text the tree was read from.
fn read(input: &str) -> Result<(String, UserInputAst)> {
    let input = input.trim();
    if input.is_empty() {
        return Err(query_error(
            "empty query".to_string(),
            "give words to search for, e.g. quarry search \"Zhenhua Data\"",
        ));
    }
    let relaxed = relax_punctuation(input);
    check_balance(&relaxed)?;
    let ast = tantivy::query_grammar::parse_query(&relaxed).map_err(|_| syntax_error(&relaxed))?;
    Ok((relaxed, hoist_negations(ast)))
}

/// Whether `name` is a filter field of the query syntax (`publisher:`, `since:`,
/// `domain:`, `extra.KEY:`...), and the key of an `extra` field name.
pub(crate) fn filter_field(name: &str) -> (bool, Option<&str>) {
    (filters(name), extra_key(name))
}

/// Parses `input` for `index` with the default options.
pub fn parse(index: &QuarryIndex, input: &str) -> Result<ParsedQuery> {
    parse_with(index, input, QueryOptions::default())
}

/// Parses `input` for `index`.
pub fn parse_with(index: &QuarryIndex, input: &str, options: QueryOptions) -> Result<ParsedQuery> {
    parse_inner(index, input, options, true)
}

/// [`parse_with`]; `flat` lets the words' query of [`ParsedQuery::core`] be a flat
/// disjunction of terms where it can (tests compare it with the builder's).
fn parse_inner(
    index: &QuarryIndex,
    input: &str,
    options: QueryOptions,
    flat: bool,
) -> Result<ParsedQuery> {
    let (relaxed, ast) = read(input)?;
    let input = relaxed.as_str();
    let f = index.fields();
    let builder = Builder::new(index, input, options);
    let (user_query, scoring_terms) = builder.top(ast)?;

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
    let content_words = if is_plain(input) {
        builder.content_words()
    } else {
        0
    };
    let near = if content_words <= PROXIMITY_MAX_WORDS {
        proximity(index, &builder.active, input)
    } else {
        None
    };
    // Plain words search text, title and names, which only passage records carry: the words'
    // query alone finds the same passages as the whole query, without its filter.
    let core = (content_words > 0).then(|| match builder.flat.take() {
        Some(terms) if flat && !options.all_terms && !terms.is_empty() => flat_core(terms),
        _ => user_query.box_clone(),
    });
    let user_query = match near {
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
        scoring_terms,
        content_words,
        core,
    })
}

/// The words of a plain query as one disjunction of weighted terms: the same passages and the
/// same scores as the words' query the builder made (a disjunction per word of a disjunction
/// per field, each word weighted by its repeats, each field by its boost), but in the one shape
/// tantivy prunes with block-max WAND, so the best passages are found without scoring every
/// match.
fn flat_core(terms: Vec<(Term, f32)>) -> Box<dyn Query> {
    let clauses = terms
        .into_iter()
        .map(|(term, weight)| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
            let q: Box<dyn Query> = if weight == 1.0 {
                q
            } else {
                Box::new(BoostQuery::new(q, weight))
            };
            (Occur::Should, q)
        })
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

/// Whether `name` is a field a query can name (`title`, `date`, `extra.region`...).
fn is_query_field(name: &str) -> bool {
    QUERY_FIELDS.iter().any(|(n, _)| *n == name)
        || OTHER_FIELD_NAMES.contains(&name)
        || filters(name)
}

/// Reads punctuation that a question typed as prose carries as prose, not as query syntax:
/// an apostrophe inside a word (`Agency's`, `didn't`: the grammar would open a `'` phrase) and
/// a colon after a word that is no field name, followed by a space (`persons: who`) become
/// spaces (the words split there anyway); a lone `-` or `+` between spaces (a dash) is dropped.
/// `'quoted phrases'`, `-word`, `field:value` and `title: words` keep their meaning.
fn relax_punctuation(input: &str) -> String {
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len());
    let mut in_quote = false;
    // Inside a 'single-quoted phrase', opened by a `'` at the start of a word.
    let mut in_single = false;
    let mut word_start = 0;
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        if c == '"' {
            in_quote = !in_quote;
        }
        if before.is_none_or(char::is_whitespace) {
            word_start = i;
        }
        let relaxed = !in_quote
            && match c {
                '\'' => {
                    let opens = before.is_none_or(|b| b.is_whitespace() || b == '(')
                        && after.is_some_and(char::is_alphanumeric);
                    if in_single {
                        // The phrase's closing quote, unless inside a word (`it's`).
                        let inside = after.is_some_and(char::is_alphanumeric);
                        in_single = inside;
                        inside
                    } else if opens {
                        in_single = true;
                        false
                    } else {
                        // An apostrophe: `Agency's`, `Democrats' server`.
                        before.is_some_and(char::is_alphanumeric)
                    }
                }
                ':' => {
                    let name: String = chars[word_start..i].iter().collect();
                    let name = name.trim_start_matches(['+', '-', '(']);
                    after.is_none_or(char::is_whitespace)
                        && !name.is_empty()
                        && !is_query_field(name)
                }
                '-' | '+' => {
                    before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace)
                }
                _ => false,
            };
        out.push(if relaxed { ' ' } else { c });
    }
    out
}

/// A syntax error, with the column where the grammar gave up.
fn syntax_error(input: &str) -> Error {
    let (_, errors) = tantivy::query_grammar::parse_query_lenient(input);
    let hint = "AND, OR and NOT need a term on each side, ~ takes a number (\"a b\"~3, word~1); \
                quote words that contain ':' or operators";
    if let Some((op, col)) = dangling_operator(input) {
        return query_error(
            format!("'{op}' at column {col} of the query has no term on one side"),
            "put a term on each side of AND and OR, and after NOT, or quote the word",
        );
    }
    match errors.first() {
        Some(e) => {
            let col = column_of(input, e.pos);
            query_error(
                format!("cannot parse the query at column {col}: {}", e.message),
                hint,
            )
        }
        None => query_error(
            format!(
                "cannot parse the query '{}'",
                crate::error::quote_input(input)
            ),
            hint,
        ),
    }
}

/// An operator without a term where it needs one: AND or OR first or last, NOT last, or two
/// operators in a row. Returns the operator and its column.
fn dangling_operator(input: &str) -> Option<(&str, usize)> {
    let words: Vec<(usize, &str)> = input
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - input.as_ptr() as usize, w))
        .collect();
    let core = |w: &str| w.trim_matches(|c| c == '(' || c == ')').to_string();
    let is_op = |w: &str| matches!(core(w).as_str(), "AND" | "OR" | "NOT" | "&&" | "||");
    for (i, &(pos, w)) in words.iter().enumerate() {
        if !is_op(w) {
            continue;
        }
        let not = core(w) == "NOT";
        let opens = w.starts_with('(') || (i > 0 && words[i - 1].1.ends_with('('));
        let closes = w.ends_with(')') || words.get(i + 1).is_some_and(|&(_, n)| n.starts_with(')'));
        let first = (i == 0 || opens) && !not;
        let last = i + 1 == words.len() || closes;
        let doubled = words
            .get(i + 1)
            .is_some_and(|&(_, n)| is_op(n) && core(n) != "NOT");
        if first || last || doubled {
            let (pos, w) = if doubled && !first && !last {
                words[i + 1]
            } else {
                (pos, w)
            };
            let offset = w.len() - w.trim_start_matches('(').len();
            let op = w.trim_matches(|c| c == '(' || c == ')');
            return Some((op, column_of(input, pos + offset)));
        }
    }
    None
}

/// The 1-based column (in characters) of byte offset `pos`.
fn column_of(input: &str, pos: usize) -> usize {
    input.char_indices().take_while(|(i, _)| *i < pos).count() + 1
}

type BoxQuery = Box<dyn Query>;

/// Fields that filter rather than rank (see [`crate::filter`]).
const FILTER_FIELDS: &[&str] = &[
    "publisher",
    "author",
    "tag",
    "kind",
    "lang",
    "format",
    "type",
    "path",
    "since",
    "until",
    "date",
    "domain",
    "url",
    "email",
    "handle",
    "hashtag",
    "channel",
    "hash",
];

/// The most index terms one prefix or fuzzy word expands to (the most frequent are kept).
pub const MAX_EXPANSIONS: usize = 64;

/// The largest edit distance of a fuzzy word (`word~2`).
pub const MAX_FUZZY_DISTANCE: u32 = 2;

/// Whether `field` filters: a filter field, or `extra.KEY`.
fn filters(field: &str) -> bool {
    FILTER_FIELDS.contains(&field) || extra_key(field).is_some()
}

/// The key of an `extra.KEY` field name; `from:`, `to:` and `cc:` are short for
/// `extra.from:`, `extra.to:` and `extra.cc:` (an e-mail's addresses).
fn extra_key(field: &str) -> Option<&str> {
    match field {
        "from" | "to" | "cc" => Some(field),
        _ => field.strip_prefix("extra.").filter(|k| !k.is_empty()),
    }
}

fn is_filter(ast: &UserInputAst) -> bool {
    match ast {
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(lit) => lit.field_name.as_deref().is_some_and(filters),
            UserInputLeaf::Range { field, .. }
            | UserInputLeaf::Set { field, .. }
            | UserInputLeaf::Regex { field, .. } => {
                field.as_deref().is_some_and(|f| FILTER_FIELDS.contains(&f))
            }
            UserInputLeaf::Exists { field } => FILTER_FIELDS.contains(&field.as_str()),
            UserInputLeaf::All => false,
        },
        UserInputAst::Clause(items) => !items.is_empty() && items.iter().all(|(_, c)| is_filter(c)),
        UserInputAst::Boost(inner, _) => is_filter(inner),
    }
}

fn zero_score(q: BoxQuery) -> BoxQuery {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

/// Turns the parsed tree into a tantivy query.
struct Builder<'a> {
    index: &'a QuarryIndex,
    input: &'a str,
    /// How often each word of a plain query was typed.
    repeats: std::collections::HashMap<&'a str, usize>,
    /// The text fields (indexes into [`TEXT_FIELDS`]) of the languages the index holds.
    active: Vec<usize>,
    parser: QueryParser,
    searcher: tantivy::Searcher,
    default_occur: Occur,
    /// The words' query as one flat list of weighted terms, while every literal the parser is
    /// given is one term (or none) in each of its fields; `None` once one is not (a phrase in
    /// some field, or anything but a literal). See [`flat_core`].
    flat: std::cell::RefCell<Option<Vec<(Term, f32)>>>,
}

impl<'a> Builder<'a> {
    fn new(index: &'a QuarryIndex, input: &'a str, options: QueryOptions) -> Builder<'a> {
        let f = index.fields();
        let mut parser = QueryParser::for_index(index.tantivy(), default_fields(index));
        parser.set_field_boost(f.title, TITLE_BOOST);
        parser.set_field_boost(f.translit, TRANSLIT_BOOST);
        if options.all_terms {
            parser.set_conjunction_by_default();
        }
        let mut repeats = std::collections::HashMap::new();
        if is_plain(input) {
            for w in input.split_whitespace() {
                *repeats.entry(w).or_insert(0) += 1;
            }
        }
        Builder {
            index,
            input,
            repeats,
            active: index.active_text_fields(),
            parser,
            // Only a query of plain words, alternatives by default, can have a flat core.
            flat: std::cell::RefCell::new((is_plain(input) && !options.all_terms).then(Vec::new)),
            searcher: index.searcher(),
            default_occur: if options.all_terms {
                Occur::Must
            } else {
                Occur::Should
            },
        }
    }

    /// The whole query: top-level filter clauses are required and do not score; the rest is
    /// the ranked part.
    fn top(&self, ast: UserInputAst) -> Result<(BoxQuery, Vec<(Term, f32)>)> {
        let items = match ast {
            UserInputAst::Clause(items) => items,
            other => vec![(None, other)],
        };
        let mut clauses: Vec<(Occur, BoxQuery)> = Vec::new();
        let mut ranked = Vec::new();
        let mut scoring = std::collections::BTreeSet::new();
        for (occur, child) in items {
            if is_filter(&child) && occur != Some(Occur::Should) {
                *self.flat.borrow_mut() = None;
                let occur = occur.unwrap_or(Occur::Must);
                clauses.push((occur, zero_score(self.build(child)?)));
            } else {
                ranked.push((occur, child));
            }
        }
        if ranked.iter().all(|(o, _)| *o == Some(Occur::MustNot)) {
            for (_, child) in ranked {
                clauses.push((Occur::MustNot, self.build(child)?));
            }
        } else {
            let q = self.clause(ranked)?;
            q.query_terms(&mut |term, _| {
                scoring.insert(term.clone());
            });
            clauses.insert(0, (Occur::Must, q));
        }
        if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
            return Err(translate(
                QueryParserError::AllButQueryForbidden,
                self.input,
            ));
        }
        let f = self.index.fields();
        let scoring = scoring
            .into_iter()
            .map(|term: Term| {
                let boost = field_boost(f, term.field());
                (term, boost)
            })
            .collect();
        if clauses.len() == 1 {
            if let Some((_, q)) = clauses.pop() {
                return Ok((q, scoring));
            }
        }
        Ok((Box::new(BooleanQuery::new(clauses)), scoring))
    }

    fn clause(&self, items: Vec<(Option<Occur>, UserInputAst)>) -> Result<BoxQuery> {
        let mut clauses = Vec::with_capacity(items.len());
        // Stop words among plain words are left out of the fields whose language lists them,
        // but only in a field for which the clause has another word to search: a query of
        // stop words alone ("the", "to be or not to be") searches them as words everywhere.
        let content_in: Vec<bool> = self
            .active
            .iter()
            .map(|&i| {
                items.iter().any(|(o, c)| {
                    o.is_none()
                        && self
                            .plain_word(c)
                            .is_some_and(|w| !is_stop_word(TEXT_FIELDS[i].lang, &w.to_lowercase()))
                })
            })
            .collect();
        let skip_stops = self.default_occur == Occur::Should && content_in.iter().any(|&has| has);
        for (occur, child) in items {
            // A word typed n times in a plain query counts n times (the grammar keeps one).
            let repeats = match (occur, &child) {
                (None, UserInputAst::Leaf(leaf)) => match leaf.as_ref() {
                    UserInputLeaf::Literal(lit) if lit.field_name.is_none() => {
                        self.repeats.get(lit.phrase.as_str()).copied().unwrap_or(1)
                    }
                    _ => 1,
                },
                _ => 1,
            };
            // What the child adds to the flat list starts here; its repeats weigh it too.
            let mark = self.flat.borrow().as_ref().map_or(0, Vec::len);
            let weighted = |q: BoxQuery| -> BoxQuery {
                if repeats > 1 {
                    if let Some(list) = self.flat.borrow_mut().as_mut() {
                        for (_, w) in list.iter_mut().skip(mark) {
                            *w *= repeats as f32;
                        }
                    }
                    Box::new(BoostQuery::new(q, repeats as f32))
                } else {
                    q
                }
            };
            if skip_stops && occur.is_none() {
                if let Some(word) = self.plain_word(&child) {
                    // The fields it is searched in: those where it is no stop word, and those
                    // where the clause has nothing else to search.
                    let keep: Vec<bool> = self
                        .stop_in_each(word)
                        .zip(&content_in)
                        .map(|(stop, &content)| !stop || !content)
                        .collect();
                    if keep.iter().any(|&k| !k) {
                        if let Some(q) = self.plain_word_query(word, Some(&keep))? {
                            clauses.push((Occur::Should, weighted(q)));
                        }
                        continue;
                    }
                }
            }
            let filter = is_filter(&child);
            let is_literal = matches!(&child, UserInputAst::Leaf(l) if matches!(l.as_ref(), UserInputLeaf::Literal(_)));
            let q = self.build(child)?;
            if is_literal && !filter && !has_terms(q.as_ref()) {
                // Punctuation only, or a word that analyses to nothing: it cannot match, so it
                // must not make a clause required.
                continue;
            }
            let q = if filter {
                *self.flat.borrow_mut() = None;
                zero_score(q)
            } else {
                weighted(q)
            };
            clauses.push((occur.unwrap_or(self.default_occur), q));
        }
        if clauses.is_empty() {
            return Err(query_error(
                format!(
                    "the query '{}' has no words to search for",
                    crate::error::quote_input(self.input)
                ),
                "give words of letters or digits",
            ));
        }
        if clauses.len() == 1 && clauses[0].0 != Occur::MustNot {
            if let Some((_, q)) = clauses.pop() {
                return Ok(q);
            }
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    fn build(&self, ast: UserInputAst) -> Result<BoxQuery> {
        match ast {
            UserInputAst::Clause(items) => self.clause(items),
            UserInputAst::Boost(inner, boost) => Ok(Box::new(BoostQuery::new(
                self.build(*inner)?,
                boost.into_inner() as f32,
            ))),
            UserInputAst::Leaf(leaf) => self.leaf(*leaf),
        }
    }

    /// Adds what the parser makes of `leaf` to [`Builder::flat`], as the parser makes it: in
    /// each field it searches (the named one, else the default fields), a literal the field's
    /// analyzer makes one token of is that term, weighted by the field's boost; none is
    /// nothing; several are a phrase, which no flat list of terms scores.
    fn record_flat(&self, leaf: &UserInputLeaf) {
        let mut flat = self.flat.borrow_mut();
        let Some(list) = flat.as_mut() else {
            return;
        };
        let UserInputLeaf::Literal(lit) = leaf else {
            *flat = None;
            return;
        };
        if lit.delimiter != Delimiter::None || lit.prefix {
            *flat = None;
            return;
        }
        let fields = match lit.field_name.as_deref() {
            None => default_fields(self.index),
            Some(name) => match self.index.tantivy().schema().get_field(name) {
                Ok(field) => vec![field],
                Err(_) => {
                    *flat = None;
                    return;
                }
            },
        };
        let f = self.index.fields();
        for field in fields {
            let Ok(mut analyzer) = self.index.tantivy().tokenizer_for_field(field) else {
                *flat = None;
                return;
            };
            let mut stream = analyzer.token_stream(&lit.phrase);
            let mut tokens = Vec::new();
            while let Some(t) = stream.next() {
                tokens.push(t.text.clone());
            }
            match tokens.as_slice() {
                [] => {}
                [one] => list.push((Term::from_field_text(field, one), field_boost(f, field))),
                _ => {
                    *flat = None;
                    return;
                }
            }
        }
    }

    fn via_parser(&self, leaf: UserInputLeaf) -> Result<BoxQuery> {
        self.record_flat(&leaf);
        self.parser
            .build_query_from_user_input_ast(UserInputAst::from(leaf))
            .map_err(|e| translate(e, self.input))
    }

    fn leaf(&self, leaf: UserInputLeaf) -> Result<BoxQuery> {
        let UserInputLeaf::Literal(lit) = leaf else {
            return self.via_parser(leaf);
        };
        let value = lit.phrase.trim();
        match lit.field_name.as_deref() {
            Some(name @ ("since" | "until" | "date")) => {
                let date = crate::date::PartialDate::parse(value).ok_or_else(|| {
                    query_error(
                        format!(
                            "'{value}' after {name}: at column {} is not a date",
                            self.column_of_field(name)
                        ),
                        "use YYYY, YYYY-MM or YYYY-MM-DD, e.g. since:2020-06",
                    )
                })?;
                let (since, until) = match name {
                    "since" => (Some(date), None),
                    "until" => (None, Some(date)),
                    _ => (Some(date), Some(date)),
                };
                Ok(filter::date_filter(self.index, since, until))
            }
            Some("type" | "format") => filter::format_filter(self.index, value),
            Some(name) if extra_key(name).is_some() => Ok(filter::extra_filter(
                self.index,
                extra_key(name).unwrap_or_default(),
                value,
            )),
            Some("lang") => filter::lang_filter(self.index, value),
            Some(name)
                if crate::indicators::Kind::ALL
                    .iter()
                    .any(|k| k.name() == name) =>
            {
                let kind = crate::indicators::Kind::from_name(name)
                    .unwrap_or(crate::indicators::Kind::Domain);
                filter::indicator_filter(self.index, kind, value).map_err(|e| {
                    query_error(
                        format!(
                            "{} (after {name}: at column {})",
                            e.message(),
                            self.column_of_field(name)
                        ),
                        e.hint().unwrap_or_default().to_string(),
                    )
                })
            }
            Some("path") if lit.prefix || value.contains(['*', '?', '[', '{']) => {
                let glob = if lit.prefix {
                    format!("{value}*")
                } else {
                    value.to_string()
                };
                filter::path_filter(self.index, &glob)
            }
            Some("text") => {
                let mut alternatives = Vec::new();
                for &i in &self.active {
                    let tf = &TEXT_FIELDS[i];
                    let mut l = lit.clone();
                    l.field_name = Some(tf.field.to_string());
                    alternatives.push((Occur::Should, self.literal(l)?));
                }
                Ok(Box::new(BooleanQuery::new(alternatives)))
            }
            _ => self.literal(lit),
        }
    }

    fn literal(&self, mut lit: UserInputLiteral) -> Result<BoxQuery> {
        let single_word = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '\'')
        };
        if lit.delimiter == Delimiter::None {
            // The grammar leaves `word*` and `word~N` in the word itself.
            if let Some(stem) = lit.phrase.strip_suffix('*') {
                if single_word(stem) {
                    lit.phrase = stem.to_string();
                    return self.expanded(&lit, Expansion::Prefix);
                }
            }
            if let Some((word, distance)) = lit.phrase.rsplit_once('~') {
                if single_word(word) {
                    let distance: u32 = distance.parse().map_err(|_| {
                        query_error(
                            format!("'~{distance}' after '{word}' is not an edit distance"),
                            "write word~1 or word~2 for words one or two edits away",
                        )
                    })?;
                    lit.phrase = word.to_string();
                    return self.expanded(
                        &lit,
                        Expansion::Fuzzy(distance.clamp(1, MAX_FUZZY_DISTANCE)),
                    );
                }
            }
        } else if lit.prefix && single_word(lit.phrase.trim()) {
            return self.expanded(&lit, Expansion::Prefix);
        }
        if lit.field_name.is_none()
            && lit.delimiter == Delimiter::None
            && !lit.prefix
            && lit.phrase.chars().all(char::is_alphabetic)
        {
            if let Some(q) = self.plain_word_query(&lit.phrase, None)? {
                return Ok(q);
            }
        }
        self.via_parser(UserInputLeaf::Literal(lit))
    }

    /// A word typed alone: no field, quotes, prefix or fuzziness, letters only.
    fn plain_word<'b>(&self, ast: &'b UserInputAst) -> Option<&'b str> {
        let UserInputAst::Leaf(leaf) = ast else {
            return None;
        };
        let UserInputLeaf::Literal(lit) = leaf.as_ref() else {
            return None;
        };
        // Punctuation around a word ("titles?") is not part of it.
        let word = lit.phrase.trim_matches(|c: char| !c.is_alphanumeric());
        (lit.field_name.is_none()
            && lit.delimiter == Delimiter::None
            && !lit.prefix
            && !word.is_empty()
            && word.chars().all(char::is_alphabetic))
        .then_some(word)
    }

    /// The distinct words of the query, stop words of any language the index uses not counted.
    fn content_words(&self) -> usize {
        let words: HashSet<String> = self
            .input
            .split_whitespace()
            .map(bare_word)
            .filter(|w| !w.is_empty() && !self.stop_anywhere(w))
            .collect();
        words.len()
    }

    /// Whether `word` is a stop word in the language of each text field the index uses, in
    /// the order of `self.active`.
    fn stop_in_each(&self, word: &str) -> impl Iterator<Item = bool> + '_ {
        let word = word.to_lowercase();
        self.active
            .iter()
            .map(move |&i| is_stop_word(TEXT_FIELDS[i].lang, &word))
    }

    /// Whether `word` is a stop word in the language of any text field the index uses.
    fn stop_anywhere(&self, word: &str) -> bool {
        self.stop_in_each(word).any(|stop| stop)
    }

    /// A plain word, looked up in passage text (each language's field), title, and as a name
    /// in the other script. With `only` (for a stop word left out of some fields), just the
    /// text fields it marks, in the order of `self.active`; `None` when no field is left.
    fn plain_word_query(&self, word: &str, only: Option<&[bool]>) -> Result<Option<BoxQuery>> {
        let literal = |field: Option<&str>, phrase: &str| {
            UserInputLeaf::Literal(UserInputLiteral {
                field_name: field.map(str::to_string),
                phrase: phrase.to_string(),
                delimiter: Delimiter::None,
                slop: 0,
                prefix: false,
            })
        };
        let mut alternatives: Vec<(Occur, BoxQuery)> = Vec::new();
        if let Some(only) = only {
            for (&i, &keep) in self.active.iter().zip(only) {
                if keep {
                    let q = self.via_parser(literal(Some(TEXT_FIELDS[i].field), word))?;
                    alternatives.push((Occur::Should, q));
                }
            }
            if alternatives.is_empty() {
                return Ok(None);
            }
        } else {
            alternatives.push((Occur::Should, self.via_parser(literal(None, word))?));
            // Also look for it as a name in the other script.
            let variants = latin_variants(word);
            if variants.is_empty() {
                alternatives.push((
                    Occur::Should,
                    self.via_parser(literal(Some("translit"), word))?,
                ));
            } else {
                for v in variants {
                    alternatives.push((Occur::Should, self.via_parser(literal(None, &v))?));
                }
            }
        }
        Ok(Some(Box::new(BooleanQuery::new(alternatives))))
    }

    /// The column where `name:` first appears in the query.
    fn column_of_field(&self, name: &str) -> usize {
        let pos = self.input.find(&format!("{name}:")).unwrap_or(0);
        column_of(self.input, pos)
    }

    /// A prefix or fuzzy word, expanded into the index terms it matches in each field it
    /// targets; each is then scored by BM25 like a typed word.
    fn expanded(&self, lit: &UserInputLiteral, how: Expansion) -> Result<BoxQuery> {
        let f = self.index.fields();
        let schema = self.index.tantivy().schema();
        let fields: Vec<tantivy::schema::Field> = match lit.field_name.as_deref() {
            None => default_fields(self.index),
            Some(name) => match schema.get_field(name) {
                Ok(field) if schema.get_field_entry(field).is_indexed() => vec![field],
                Ok(_) => {
                    return Err(translate(
                        QueryParserError::FieldNotIndexed(name.to_string()),
                        self.input,
                    ))
                }
                Err(_) => {
                    return Err(translate(
                        QueryParserError::FieldDoesNotExist(name.to_string()),
                        self.input,
                    ))
                }
            },
        };
        let word = lit.phrase.trim();
        let mut alternatives: Vec<(Occur, BoxQuery)> = Vec::new();
        for field in fields {
            let mut forms: Vec<String> = Vec::new();
            if let Ok(mut analyzer) = self.index.tantivy().tokenizer_for_field(field) {
                let mut stream = analyzer.token_stream(word);
                while let Some(t) = stream.next() {
                    forms.push(t.text.clone());
                }
            }
            if forms.len() != 1 {
                // The word splits into several tokens (or none) in this field: no expansion.
                continue;
            }
            // The word as typed (folded, not stemmed) as a second form.
            if let Some(mut plain) = self
                .index
                .tantivy()
                .tokenizers()
                .get(crate::analysis::PLAIN_ANALYZER)
            {
                let mut stream = plain.token_stream(word);
                if let Some(t) = stream.next() {
                    if !forms.contains(&t.text) {
                        forms.push(t.text.clone());
                    }
                }
            }
            let terms = expand_terms(&self.searcher, field, &forms, how)?;
            let boost = field_boost(f, field);
            for term in terms {
                let q: BoxQuery = Box::new(TermQuery::new(
                    Term::from_field_text(field, &term),
                    IndexRecordOption::WithFreqs,
                ));
                let q: BoxQuery = if boost == 1.0 {
                    q
                } else {
                    Box::new(BoostQuery::new(q, boost))
                };
                alternatives.push((Occur::Should, q));
            }
        }
        if alternatives.is_empty() {
            // No word of the index is near enough: a clause that matches nothing (but still
            // counts as a word of the query, so an `--all` query then finds nothing).
            return Ok(Box::new(TermQuery::new(
                Term::from_field_text(f.rec, "\u{0}no-expansion"),
                IndexRecordOption::Basic,
            )));
        }
        Ok(Box::new(BooleanQuery::new(alternatives)))
    }
}

/// The boost of a field's matches in the ranked part of a query (the parser's field boosts).
fn field_boost(f: &crate::schema::Fields, field: tantivy::schema::Field) -> f32 {
    if field == f.title {
        TITLE_BOOST
    } else if field == f.translit {
        TRANSLIT_BOOST
    } else {
        1.0
    }
}

/// How a word is expanded against the term dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expansion {
    /// Terms starting with the word.
    Prefix,
    /// Terms within this edit distance of the word.
    Fuzzy(u32),
}

/// The index terms of `field` that `forms` (analysed forms of the typed word) expand to: the
/// [`MAX_EXPANSIONS`] most frequent, in term order.
fn expand_terms(
    searcher: &tantivy::Searcher,
    field: tantivy::schema::Field,
    forms: &[String],
    how: Expansion,
) -> Result<Vec<String>> {
    let engine = |e: std::io::Error| Error::engine("cannot read the term dictionary", e);
    let mut found: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment
            .inverted_index(field)
            .map_err(|e| Error::engine("cannot read the term dictionary", e))?;
        let dict = inverted.terms();
        match how {
            Expansion::Prefix => {
                for form in forms {
                    let mut stream = dict
                        .range()
                        .ge(form.as_bytes())
                        .into_stream()
                        .map_err(engine)?;
                    while stream.advance() {
                        if !stream.key().starts_with(form.as_bytes()) {
                            break;
                        }
                        if let Ok(term) = std::str::from_utf8(stream.key()) {
                            *found.entry(term.to_string()).or_insert(0) +=
                                u64::from(stream.value().doc_freq);
                        }
                    }
                }
            }
            Expansion::Fuzzy(distance) => {
                let stem: Vec<char> = forms[0].chars().collect();
                let typed: Vec<char> = forms.get(1).unwrap_or(&forms[0]).chars().collect();
                // Short words allow fewer edits, or every short word would match.
                let distance = distance.min(match typed.len() {
                    0..=2 => 0,
                    3..=5 => 1,
                    _ => 2,
                });
                let mut stream = dict.stream().map_err(engine)?;
                while stream.advance() {
                    let Ok(term) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    if within_distance(&stem, term, distance as usize)
                        || stem_of_near_word(&typed, term, distance as usize)
                    {
                        *found.entry(term.to_string()).or_insert(0) +=
                            u64::from(stream.value().doc_freq);
                    }
                }
            }
        }
    }
    let mut terms: Vec<(String, u64)> = found.into_iter().collect();
    if terms.len() > MAX_EXPANSIONS {
        terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        terms.truncate(MAX_EXPANSIONS);
        terms.sort();
    }
    Ok(terms.into_iter().map(|(t, _)| t).collect())
}

/// The longest ending a fuzzy word may carry beyond an index stem (see [`stem_of_near_word`]).
const MAX_ENDING: usize = 4;

/// Whether the index stem `term` could be the stem of a word within `max` edits of `typed`: the
/// index holds stems (`disinform` for disinformation), and a misspelt word often does not stem
/// to the same stem (`disinformaton` stays as it is). So a stem also matches when it is within
/// `max` edits of the beginning of the typed word (at least as long as the stem), the rest being
/// an ending of at most [`MAX_ENDING`] letters, and the stem is not much shorter than the word
/// (at least 60% of it, and five letters), so short stems do not match every long word.
fn stem_of_near_word(typed: &[char], term: &str, max: usize) -> bool {
    let t = term.chars().count();
    if t < 5 || t * 10 < typed.len() * 6 || t >= typed.len() {
        return false;
    }
    let shortest = t.max(typed.len().saturating_sub(MAX_ENDING));
    let longest = (t + max).min(typed.len());
    (shortest..=longest).any(|k| {
        let prefix: String = typed[..k].iter().collect();
        within_distance(&prefix.chars().collect::<Vec<_>>(), term, max)
    })
}

/// Whether `term` is within `max` edits (insertions, deletions, substitutions, transpositions
/// of neighbours) of `target`.
fn within_distance(target: &[char], term: &str, max: usize) -> bool {
    let term: Vec<char> = term.chars().collect();
    if term.len().abs_diff(target.len()) > max {
        return false;
    }
    let (n, m) = (target.len(), term.len());
    // Optimal string alignment distance, three rows.
    let mut prev2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=m {
            let cost = usize::from(target[i - 1] != term[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && target[i - 1] == term[j - 2] && target[i - 2] == term[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return false;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m] <= max
}

/// Whether a query has any term to match (a word that analyses to nothing gives none).
fn has_terms(q: &dyn Query) -> bool {
    let mut any = false;
    q.query_terms(&mut |_, _| any = true);
    any
}

/// The fields plain words are looked up in: every language's text field and the title. The
/// heading is not among them: a passage's text starts with the heading it follows, so heading
/// words already count, and counting them twice measured worse on the golden suite (expected
/// document in the top 3 for 141 of 146 queries with a heading boost of 0.5, 142 with 0.2,
/// 143 without).
fn default_fields(index: &QuarryIndex) -> Vec<tantivy::schema::Field> {
    let f = index.fields();
    let mut fields: Vec<_> = index
        .active_text_fields()
        .into_iter()
        .map(|i| f.text[i])
        .collect();
    fields.push(f.title);
    fields
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
/// Proximity counts for plain queries of at most this many words (stop words not counted).
/// Short queries often name something ("rapid alert system"); long ones describe what is
/// wanted in words that need not stand together, and rewarding their pairs measured worse
/// (docs/ranking.md).
pub const PROXIMITY_MAX_WORDS: usize = crate::feedback::MIN_QUERY_WORDS - 1;
/// How far apart two consecutive query words may be to count as close.
pub const PROXIMITY_SLOP: u32 = 2;

/// Whether a query is plain words only: no operators, fields, quotes, prefixes, fuzzy words or
/// boosts.
fn is_plain(input: &str) -> bool {
    input.split_whitespace().all(|w| {
        !w.contains([':', '"', '(', ')', '*', '~', '^', '[', ']', '{', '}'])
            && !w.starts_with(['+', '-'])
            && !matches!(w, "AND" | "OR" | "NOT")
    })
}

/// A typed word as stop-word lists hold it: punctuation around it dropped ("titles?"), lower
/// case.
fn bare_word(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// For a query of plain words (no operators, fields or quotes), a query that rewards passages
/// where consecutive query words stand close together, in order: "rapid alert system" ranks the
/// passage that names the Rapid Alert System above one that has the three words apart.
/// `active` lists the text fields of the languages the index holds.
fn proximity(index: &QuarryIndex, active: &[usize], input: &str) -> Option<Box<dyn Query>> {
    if !is_plain(input) {
        return None;
    }
    let f = index.fields();
    let words: Vec<(&str, String)> = input
        .split_whitespace()
        .map(|w| (w, bare_word(w)))
        .collect();
    let mut pairs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for &i in active {
        let (field_def, field) = (&TEXT_FIELDS[i], f.text[i]);
        let mut analyzer = crate::analysis::text_analyzer(field_def);
        // Pairs of the words that count: stop words of the field's language are left out
        // (unless nothing else is left).
        let content: Vec<&str> = words
            .iter()
            .filter(|(_, bare)| !is_stop_word(field_def.lang, bare))
            .map(|(w, _)| *w)
            .collect();
        let text = if content.is_empty() {
            input.to_string()
        } else {
            content.join(" ")
        };
        let mut stream = analyzer.token_stream(&text);
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

fn translate(err: QueryParserError, input: &str) -> Error {
    match err {
        QueryParserError::FieldDoesNotExist(name) => query_error(
            match input.find(&format!("{name}:")) {
                Some(pos) => format!(
                    "unknown field '{name}' at column {} of the query",
                    column_of(input, pos)
                ),
                None => format!("unknown field '{name}' in the query"),
            },
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
        QueryParserError::SyntaxError(_) => syntax_error(input),
        other => query_error(
            format!(
                "cannot use the query '{}': {other}",
                crate::error::quote_input(input)
            ),
            "see quarry search --help for the query syntax",
        ),
    }
}

/// The stop words of a language (NLTK's lists), empty for a language without one. Queries
/// leave them out of a language's field when other words remain; the index keeps every word,
/// so phrases still match them.
pub fn stop_words(lang: &str) -> &'static [&'static str] {
    stop_words::lookup(lang).unwrap_or(&[])
}

/// Whether `word` (lower case) is a stop word of `lang`.
pub fn is_stop_word(lang: &str, word: &str) -> bool {
    stop_words(lang).contains(&word) || is_single_letter(word)
}

/// A single Latin letter: mostly initials and abbreviations cut at their dots ("e.g.", "U.S.",
/// "J. Smith"), which otherwise score as rare words. Counting them as stop words raised CISI
/// nDCG@10 from 0.412 to 0.418 (docs/ranking.md); a query of letters alone still searches.
fn is_single_letter(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The flat disjunction of a plain query's terms matches the same passages as the words'
    /// query the builder makes, with the same scores: words repeated, stop words, names in
    /// another script, two languages, a word the title also holds.
    #[test]
    fn the_flat_words_query_scores_as_the_builders() {
        let corpus = tempfile::tempdir().unwrap();
        let write =
            |name: &str, text: &str| std::fs::write(corpus.path().join(name), text).unwrap();
        write(
            "a.md",
            "---\ntitle: Election report\n---\nThe election commission found fake accounts \
             that posted about the election. Navalny was named.\n",
        );
        write(
            "b.md",
            "---\ntitle: Notes\n---\nAccounts and pages were removed; the network ran ads.\n",
        );
        write(
            "c.md",
            "---\ntitle: Выборы\nlang: ru\n---\nНавальный и выборы: сеть аккаунтов публиковала \
             сообщения о выборах в регионах.\n",
        );
        write("d.txt", "what is the rapid alert system and who runs it\n");
        let dir = corpus.path().join(".quarry");
        let options = crate::BuildOptions {
            paths: vec![corpus.path().to_path_buf()],
            threads: 1,
            ..Default::default()
        };
        crate::build(&dir, &options, &crate::Silent).unwrap();
        let index = QuarryIndex::open(&dir).unwrap();
        let searcher = index.searcher();
        let stats = crate::scoring::PassageStatistics::new(&searcher, index.fields().rec);
        let scores = |q: &dyn Query| {
            let top = searcher
                .search_with_statistics_provider(
                    q,
                    &tantivy::collector::TopDocs::with_limit(100).order_by_score(),
                    &stats,
                )
                .unwrap();
            let mut v: Vec<(tantivy::DocAddress, f32)> =
                top.into_iter().map(|(s, a)| (a, s)).collect();
            v.sort_by_key(|(a, _)| (a.segment_ord, a.doc_id));
            v
        };
        let mut flat_seen = 0;
        for q in [
            "election",
            "election election accounts",
            "what is the rapid alert system",
            "the who",
            "navalny",
            "Навальный выборы",
            "fake accounts network",
            "notes about ads",
        ] {
            let options = QueryOptions::default();
            let flat = parse_inner(&index, q, options, true).unwrap();
            let nested = parse_inner(&index, q, options, false).unwrap();
            let (Some(flat), Some(nested)) = (flat.core, nested.core) else {
                continue;
            };
            if format!("{flat:?}") != format!("{nested:?}") {
                flat_seen += 1;
            }
            let (a, b) = (scores(flat.as_ref()), scores(nested.as_ref()));
            assert!(!b.is_empty(), "{q}: nothing matched");
            assert_eq!(a.len(), b.len(), "{q}");
            for ((da, sa), (db, sb)) in a.iter().zip(&b) {
                assert_eq!(da, db, "{q}");
                assert!(
                    (sa - sb).abs() <= 1e-4 * sb.abs().max(1.0),
                    "{q}: {sa} vs {sb}"
                );
            }
        }
        assert!(flat_seen >= 5, "only {flat_seen} queries were flattened");
    }

    #[test]
    fn stop_words_are_per_language() {
        assert!(is_stop_word("en", "the") && is_stop_word("en", "what"));
        // "war" is a German stop word (was) but an English search word.
        assert!(is_stop_word("de", "war") && !is_stop_word("en", "war"));
        assert!(!is_stop_word("xx", "the"));
        // Single Latin letters everywhere; not digits, not a CJK character.
        assert!(is_stop_word("en", "g") && is_stop_word("de", "e") && is_stop_word("xx", "u"));
        assert!(!is_stop_word("en", "2") && !is_stop_word("en", "中") && !is_stop_word("en", "ab"));
        assert!(is_plain("what is the rapid alert system?"));
        assert!(!is_plain("\"rapid alert\" system"));
        assert!(!is_plain("publisher:x system"));
        assert!(!is_plain("surveil* system"));
    }

    #[test]
    fn prose_punctuation_is_no_query_syntax() {
        assert_eq!(relax_punctuation("Agency's work"), "Agency s work");
        assert_eq!(
            relax_punctuation("the Democrats' server"),
            "the Democrats  server"
        );
        assert_eq!(relax_punctuation("'it's here' now"), "'it s here' now");
        assert_eq!(relax_punctuation("x ('a b') y's"), "x ('a b') y s");
        assert_eq!(
            relax_punctuation("U.S. persons: who - and how?"),
            "U.S. persons  who   and how?"
        );
        assert_eq!(
            relax_punctuation("'rapid alert' -hoax title: report"),
            "'rapid alert' -hoax title: report"
        );
        assert_eq!(
            relax_punctuation("\"it's here\" since:2020"),
            "\"it's here\" since:2020"
        );
        assert_eq!(
            relax_punctuation("extra.region: Texas"),
            "extra.region: Texas"
        );
        assert_eq!(relax_punctuation("titel:x"), "titel:x");
        assert_eq!(
            relax_punctuation("-title: draft (since: 2020)"),
            "-title: draft (since: 2020)"
        );
    }

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

    #[test]
    fn syntax_errors_name_the_column() {
        let e = syntax_error("china AND");
        assert!(e.message().contains("'AND' at column 7"), "{e}");
        assert!(e.hint().is_some());
        assert_eq!(dangling_operator("OR china"), Some(("OR", 1)));
        assert_eq!(dangling_operator("a AND OR b"), Some(("OR", 7)));
        assert_eq!(dangling_operator("a AND NOT b"), None);
        assert_eq!(dangling_operator("china (AND russia)"), Some(("AND", 8)));
        assert_eq!(column_of("ab c", 3), 4);
        assert_eq!(column_of("Пр x", 5), 4);
    }

    #[test]
    fn edit_distance_counts_transpositions_as_one() {
        let t: Vec<char> = "prigozhin".chars().collect();
        assert!(within_distance(&t, "prigozhin", 0));
        assert!(within_distance(&t, "prigojin", 2));
        assert!(!within_distance(&t, "prigojin", 1));
        assert!(within_distance(&t, "prigzohin", 1));
        assert!(within_distance(&t, "prigozhn", 1));
        assert!(!within_distance(&t, "navalny", 2));
    }

    #[test]
    fn misspelt_words_find_the_stems_of_their_neighbours() {
        let typed: Vec<char> = "disinformaton".chars().collect();
        assert!(stem_of_near_word(&typed, "disinform", 1));
        assert!(!stem_of_near_word(&typed, "dis", 1), "too short");
        let typed: Vec<char> = "survailance".chars().collect();
        assert!(stem_of_near_word(&typed, "surveil", 1));
        assert!(!stem_of_near_word(&typed, "surveil", 0));
        let typed: Vec<char> = "prigozhn".chars().collect();
        assert!(!stem_of_near_word(&typed, "prig", 1));
        let typed: Vec<char> = "pltfrm".chars().collect();
        assert!(!stem_of_near_word(&typed, "post", 2));
    }

    #[test]
    fn filter_fields_are_recognised_in_groups() {
        let ast = tantivy::query_grammar::parse_query("(publisher:a OR tag:b) china").unwrap();
        let UserInputAst::Clause(items) = ast else {
            panic!("not a clause")
        };
        assert!(is_filter(&items[0].1));
        assert!(!is_filter(&items[1].1));
    }
}
