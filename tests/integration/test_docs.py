"""The configuration reference cannot drift from the parser.

tests/unit/conf/full.conf holds every line the parser supports (the unit
tests prove it parses and round-trips). Here every syntax line of
docs/configuration.md must match some line of that fixture, and every line
of the fixture must match some documented syntax."""

import os
import re

from conftest import REPO

DOC = os.path.join(REPO, "docs", "configuration.md")
FIXTURE = os.path.join(REPO, "tests", "unit", "conf", "full.conf")

# Placeholders that stand for more than one word.
MULTI = {
    "SRC": r"(?:any|host \S+|\S+ \S+)",
    "DST": r"(?:any|host \S+|\S+ \S+)",
    "PORTOP": r"(?:(?:eq|neq|lt|gt) \S+|range \S+ \S+)",
    "ICMP": r"(?:[a-z-]+|\d+(?: \d+)?)",
    "TEXT": r".*",
    "ESP-ENC": r"(?:esp-\S+(?: \d+)?)",
    "ESP-AUTH": r"(?:esp-\S+(?: \d+)?)",
    "100-199": r"1\d\d",
}


def tokens(line):
    return re.findall(r"[{}\[\]]|\s\|\s|[^\s{}\[\]]+", line)


def word_re(w):
    if w in MULTI:
        return MULTI[w]
    if w.endswith("..."):
        return r"\S+(?: \S+)*"
    if "|" in w:
        return "(?:" + "|".join(word_re(x) for x in w.split("|")) + ")"
    if re.fullmatch(r"[A-Z][A-Z0-9-]*", w):
        return r"\S+"
    return re.escape(w)


def parse_seq(toks, i, stop):
    """A sequence of items until a token in stop; each item is rendered
    with its leading space, optional ones wrapped with it."""
    alts, cur = [], ""
    while i < len(toks) and toks[i] not in stop:
        t = toks[i]
        if t in ("{", "["):
            inner, i = parse_seq(toks, i + 1, {"}" if t == "{" else "]"})
            grp = "(?:" + "|".join(inner) + ")"
            cur += grp if t == "{" else grp + "?"
        elif t.strip() == "|":
            alts.append(cur)
            cur = ""
        else:
            cur += " " + word_re(t)
        i += 1
    alts.append(cur)
    return alts, i


def template_re(line):
    alts, _ = parse_seq(tokens(line.strip()), 0, set())
    return re.compile("^(?:" + "|".join(alts) + ")$")


def doc_templates():
    out, inside = [], False
    with open(DOC) as f:
        for line in f:
            if line.startswith("```"):
                inside = not inside
                continue
            line = re.sub(r"\s+!.*$", "", line.rstrip("\n"))
            if inside and line.strip():
                out.append(line)
    return out


def fixture_lines():
    with open(FIXTURE) as f:
        return [l.strip() for l in f
                if l.strip() and not l.lstrip().startswith("!")
                and l.strip() != "end"]


def test_every_documented_line_parses_in_the_fixture():
    lines = [" " + re.sub(r"\s+", " ", l) for l in fixture_lines()]
    missing = [t for t in doc_templates()
               if not any(template_re(t).match(l) for l in lines)]
    assert not missing, "documented but not in full.conf: %s" % missing


def test_every_fixture_line_is_documented():
    templates = [template_re(t) for t in doc_templates()]
    undocumented = [l for l in fixture_lines()
                    if not any(r.match(" " + re.sub(r"\s+", " ", l))
                               for r in templates)]
    assert not undocumented, "parsed but not documented: %s" % undocumented
