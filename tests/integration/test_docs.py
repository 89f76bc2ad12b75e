"""The configuration reference cannot drift from the parser.

tests/unit/conf/full.conf holds every line the parser supports (the unit
tests prove it parses and round-trips). Here every syntax line of
docs/configuration.md must match some line of that fixture, and every line
of the fixture must match some documented syntax."""

import os
import re
import subprocess

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


MAN = [os.path.join(REPO, "docs", "man", "havpnd.8"),
       os.path.join(REPO, "docs", "man", "havpnctl.8"),
       os.path.join(REPO, "build", "man", "havpn.conf.5")]


def test_man_pages_render_without_warnings():
    for page in MAN:
        r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page],
                           capture_output=True, text=True)
        assert r.returncode == 0 and r.stderr == "", (page, r.stderr)


def test_every_havpnd_option_is_documented():
    """Every option havpnd's getopt takes has its entry in havpnd(8)'s
    OPTIONS and a line in docs/operations.md's option table."""
    with open(os.path.join(REPO, "daemon", "havpnd.c")) as f:
        m = re.search(r'getopt\(argc, argv, "([^"]+)"\)', f.read())
    assert m
    with open(MAN[0]) as f:
        man = f.read()
    with open(os.path.join(REPO, "docs", "operations.md")) as f:
        ops = f.read()
    opts = [c for c in m.group(1) if c != ":"]
    assert "C" in opts
    missing_man = [c for c in opts
                   if not re.search(r"^\.TP\n\.BI? \\-" + c + r"\b", man,
                                    re.M)]
    missing_ops = [c for c in opts if f"| `-{c}" not in ops]
    assert not missing_man, f"not in havpnd(8) OPTIONS: {missing_man}"
    assert not missing_ops, f"not in operations.md: {missing_ops}"


def migration_examples():
    """The ```havpn blocks of docs/migration.md, each with the paragraph
    before it."""
    with open(os.path.join(REPO, "docs", "migration.md")) as f:
        text = f.read()
    return [(m.group(1), m.group(2)) for m in re.finditer(
        r"((?:[^\n]+\n)+)\n```havpn\n(.*?)```\n", text, re.S)]


def test_migration_examples_are_accepted(tmp_path):
    """Every worked example of docs/migration.md passes havpnd -t: no
    error, only warnings, and none where the text says "No warning."."""
    examples = migration_examples()
    assert len(examples) >= 5, examples
    for i, (before, conf) in enumerate(examples):
        path = tmp_path / f"example{i}.conf"
        path.write_text(conf)
        r = subprocess.run([os.path.join(REPO, "bin", "havpnd"), "-t", "-f",
                            str(path)], capture_output=True, text=True)
        assert r.returncode == 0, (before, r.stderr)
        lines = r.stderr.splitlines()
        assert all(": warning: " in l for l in lines), (before, lines)
        if "No warning." in before:
            assert lines == [], (before, lines)
        else:
            assert lines, (before, "warnings described, none printed")


def help_commands():
    r = subprocess.run([os.path.join(REPO, "bin", "havpnctl"), "help"],
                       capture_output=True, text=True, check=True)
    cmds = []
    for line in r.stdout.splitlines():
        if not re.match(r"  [a-z]", line):
            continue
        words = []
        for w in re.split(r"( {2,}| )", line.strip()):
            if w.startswith("  ") or w[:1] in ("[", "") or w[:1].isupper():
                break
            if w != " ":
                words.append(w)
        if words and words != ["help"]:
            cmds.append(" ".join(words))
    assert len(cmds) >= 10
    return cmds


def test_every_command_is_documented():
    """havpnctl(8) and docs/operations.md name every command havpnctl
    knows (the command table in daemon/ctl.h)."""
    with open(MAN[1]) as f:
        man = re.sub(r"\\f[BIRP]|\\", "", f.read())
    man = re.sub(r"\n\.(?:B|BR|TQ|TP)\s*", "\n", man)
    with open(os.path.join(REPO, "docs", "operations.md")) as f:
        ops = f.read()
    missing_man = [c for c in help_commands()
                   if not re.search(r"\b" + re.escape(c) + r"\b", man)]
    missing_ops = [c for c in help_commands() if f"`{c}" not in ops]
    assert not missing_man, f"not in havpnctl(8): {missing_man}"
    assert not missing_ops, f"not in docs/operations.md: {missing_ops}"


def test_development_md_lists_every_folder():
    """docs/development.md's layout names every top-level folder of the
    repository (each module among them)."""
    with open(os.path.join(REPO, "docs", "development.md")) as f:
        text = f.read()
    block = text.split("## Layout", 1)[1].split("```")[1]
    listed = {line.split("/")[0] for line in block.splitlines()
              if line and not line.startswith(" ")}
    files = subprocess.run(["git", "-C", REPO, "ls-files"],
                           capture_output=True, text=True,
                           check=True).stdout.split()
    folders = {p.split("/")[0] for p in files if "/" in p}
    assert folders - listed == set()


def test_no_citation_of_documents_outside_the_repository():
    """Comments and docs cite docs/ sections, not the design and style
    documents the project started from (never in the repository) or the
    design's numbered decisions."""
    cited = re.compile("(DESIGN|STYLE)" + r"(\.md| decision)|"
                       r"\b[Dd]ecisions? [0-9]")
    files = subprocess.run(["git", "-C", REPO, "ls-files"],
                           capture_output=True, text=True,
                           check=True).stdout.split()
    found = []
    for p in files:
        path = os.path.join(REPO, p)
        if not os.path.isfile(path) or "/corpus/" in p:
            continue
        try:
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if cited.search(line):
                        found.append(f"{p}:{n}: {line.strip()}")
        except UnicodeDecodeError:
            continue
    assert found == []
