#!/usr/bin/env python3
"""Check the passage question-answering set: is every answer phrase where its question says?

The set is bench/qa/questions.jsonl (described in bench/qa/README.md), one JSON object a line:

    {"id": "q001", "question": "...", "file": "docs/...pdf", "page": 42, "phrase": "..."}

- id: unique (q001, q002, ...).
- question: a researcher's question, in words of its own (it must not contain the phrase).
- file: the document holding the answer; "docs/..." is relative to ../shared/data (beside the
  repository), "corpus/..." to the repository root.
- page: for PDFs, the 1-based page (as `pdftotext -f N -l N` numbers them) holding the phrase;
  null for other files.
- phrase: a short verbatim quote (6 to 12 words) from the answering passage, used only to
  recognise that passage in search results.

For each question the file's text is extracted (PDF: `pdftotext -enc UTF-8 -f P -l P`; HTML: the
visible text, skipping script and style; anything else: the raw text), both sides are normalised
(NFKC, curly quotes and dashes to ASCII, soft hyphens and `[N]` footnote markers dropped, line-end
"word-\\nword" hyphenation rejoined, whitespace collapsed, lower case) and the phrase must occur.
The normalisation matches the one bench/qa.py applies to search hits.

Also checked: the fields are present and typed, ids are unique, there are at least 80 questions,
phrases have 6 to 12 words, and no question contains its phrase.

Run from anywhere (needs python3 and, for PDFs, poppler's pdftotext):

    python3 bench/qa/check.py

Prints each failure (id, file, page, phrase) and a summary line; exits 1 if anything failed, 0
otherwise. Exits 0, printing "skipped: ...", when ../shared/data is absent (a fresh clone).
"""

import html.parser
import json
import os
import re
import subprocess
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
QUESTIONS = os.path.join(HERE, "questions.jsonl")
MIN_QUESTIONS = 80
FIELDS = {"id": str, "question": str, "file": str, "phrase": str}

FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
    "\u2212": "-", "\u00ad": None,
})


def normalise(text):
    """Fold text for comparison, as bench/qa.py does (plus a few rarer quote and dash forms)."""
    text = unicodedata.normalize("NFKC", text).translate(FOLD)
    text = re.sub(r"\[\d{1,4}\]", " ", text)
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1\2", text)
    return " ".join(text.lower().split())


class VisibleText(html.parser.HTMLParser):
    """The text a browser shows: script, style and similar elements skipped, blocks separated."""

    HIDDEN = {"script", "style", "noscript", "template", "head", "title"}
    BLOCKS = {"address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
              "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
              "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td",
              "th", "tr", "ul"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)

    def text(self):
        return "".join(self.parts)


def resolve(name):
    if name.startswith("corpus/"):
        return os.path.join(ROOT, name)
    return os.path.join(SHARED, name)


_cache = {}


def extract(path, page):
    """The text of one page of a PDF, or of a whole other file; raises OSError or ValueError."""
    key = (path, page)
    if key in _cache:
        return _cache[key]
    if not os.path.isfile(path):
        raise OSError(f"no such file: {path}")
    if path.lower().endswith(".pdf"):
        if page is None:
            raise ValueError("a PDF needs a page")
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), path, "-"],
            capture_output=True)
        if done.returncode != 0:
            raise ValueError(f"pdftotext failed: {done.stderr.decode(errors='replace').strip()}")
        text = done.stdout.decode("utf-8", errors="replace")
    else:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if path.lower().endswith((".html", ".htm")):
            parser = VisibleText()
            parser.feed(text)
            parser.close()
            text = parser.text()
    text = normalise(text)
    _cache[key] = text
    return text


def problems(q):
    """What is wrong with one question's fields (an empty list when nothing is)."""
    found = []
    for field, kind in FIELDS.items():
        if not isinstance(q.get(field), kind) or not q.get(field).strip():
            found.append(f"field {field!r} missing or not a non-empty string")
    if "page" not in q:
        found.append("field 'page' missing")
    elif q["page"] is not None and (not isinstance(q["page"], int) or isinstance(q["page"], bool)
                                    or q["page"] < 1):
        found.append("field 'page' must be a positive integer or null")
    if found:
        return found
    if not q["file"].startswith(("docs/", "corpus/")):
        found.append("file must start with docs/ or corpus/")
    is_pdf = q["file"].lower().endswith(".pdf")
    if is_pdf and q["page"] is None:
        found.append("a PDF question needs a page")
    if not is_pdf and q["page"] is not None:
        found.append("page must be null for a file that is not a PDF")
    words = len(q["phrase"].split())
    if not 6 <= words <= 12:
        found.append(f"phrase has {words} words (6 to 12 wanted)")
    if normalise(q["phrase"]) in normalise(q["question"]):
        found.append("question contains the phrase verbatim")
    return found


def main():
    if not os.path.isdir(SHARED):
        print(f"bench/qa/check.py: skipped: {SHARED} is absent (the shared documents are not here)")
        return 0
    questions, failures, failed_ids = [], [], set()
    with open(QUESTIONS, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                questions.append(json.loads(line))
            except json.JSONDecodeError as err:
                failures.append(f"line {number}: not JSON: {err}")

    def fail(q, message):
        failed_ids.add(id(q))
        failures.append(f"{q.get('id')}  {q.get('file')}  page {q.get('page')}"
                        f"  phrase {q.get('phrase')!r}: {message}")

    seen = set()
    for q in questions:
        if not isinstance(q, dict):
            failures.append(f"not a JSON object: {q!r}")
            continue
        if q.get("id") in seen:
            fail(q, "duplicate id")
        seen.add(q.get("id"))
        wrong = problems(q)
        for message in wrong:
            fail(q, message)
        if wrong:
            continue
        try:
            text = extract(resolve(q["file"]), q["page"])
        except (OSError, ValueError) as err:
            fail(q, f"cannot read: {err}")
            continue
        if normalise(q["phrase"]) not in text:
            fail(q, "phrase not found")
    if len(questions) < MIN_QUESTIONS:
        failures.append(f"only {len(questions)} questions ({MIN_QUESTIONS} wanted)")
    for line in failures:
        print(f"FAIL {line}")
    passed = sum(1 for q in questions if isinstance(q, dict) and id(q) not in failed_ids)
    print(f"bench/qa/check.py: {len(questions)} questions, {passed} pass, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
