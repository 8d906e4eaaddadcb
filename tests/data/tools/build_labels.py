#!/usr/bin/env python3
"""Builds labelled letters (<id>.txt + <id>.json, the format of tests/data/nominations-dev) from
source files of blocks, and puts each text in a tuning part or a held part.

Usage: build_labels.py OUTDIR SOURCE:PART[:HISTORY] [SOURCE:PART[:HISTORY] ...]
       (writes OUTDIR/tune/, OUTDIR/held/ and OUTDIR/SPLIT.tsv)

PART says where the texts of SOURCE go:
  hash  the split of round one: sha256 of the id, first byte modulo 5 < 3 goes to tuning
  tune  all to tuning (round one's texts once their held part had been measured)
  held  all to the held part (a new held set, written and frozen before tuning)
A text built into one part is removed from the other, so moving a source leaves no stale copy.

Source format (UTF-8):

    @@@ <id>
    municipality: <name as in data/gemeenten.csv, or empty for a text about no one municipality>
    source: <url>                (real texts)
    page_date: <date or unknown> (real texts)
    retrieved: <date>            (real texts)
    style: <short description>
    sender: <name> | <role> | <email>
    @@ text
    <the text, verbatim; blank lines kept>
    @@ labels
    1 | <sentence>
    2/<domain> | <sentence>
    3 | <sentence>
    principle | <sentence>
    !<criterion> | <sentence> | <reason>     (a distractor: looks like evidence, is not)

A label's sentence is matched in the text with flexible whitespace and `>` quote markers, so
hard-wrapped and quoted sentences can be written on one line; the stored label text is the exact
span of the text. Every label must match exactly once.

SPLIT.tsv records, per text, its part now, its source file, what the round-one hash split said
and HISTORY (free text: when and why the source's texts moved between parts, empty if never).
"""
import csv
import hashlib
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEMEENTEN = os.path.join(HERE, "..", "..", "..", "data", "gemeenten.csv")


def hash_part(ident):
    return "tune" if hashlib.sha256(ident.encode()).digest()[0] % 5 < 3 else "held"


def load_gemeenten():
    out = {}
    with open(GEMEENTEN, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out.setdefault(row["name"], row)
    return out


def parse(source):
    blocks = []
    cur = None
    section = None
    for line in open(source, encoding="utf-8").read().split("\n"):
        if line.startswith("@@@ "):
            cur = {"id": line[4:].strip(), "meta": {}, "text": [], "labels": []}
            blocks.append(cur)
            section = "meta"
        elif line.strip() == "@@ text":
            section = "text"
        elif line.strip() == "@@ labels":
            section = "labels"
        elif cur is None:
            continue
        elif section == "meta":
            if ":" in line:
                k, v = line.split(":", 1)
                cur["meta"][k.strip()] = v.strip()
        elif section == "text":
            cur["text"].append(line)
        elif section == "labels":
            if line.strip() and not line.startswith("#"):
                cur["labels"].append(line)
    return blocks


def find(text, sentence, ident):
    words = sentence.split()
    pat = r"(?:[ \t]*\n[ \t>]*|[ \t]+)".join(re.escape(w) for w in words)
    ms = list(re.finditer(pat, text))
    if len(ms) != 1:
        sys.exit(f"{ident}: label matches {len(ms)} times: {sentence!r}")
    return ms[0].start(), ms[0].end()


def byte_off(text, i):
    return len(text[:i].encode("utf-8"))


def build(block, gemeenten):
    ident = block["id"]
    lines = block["text"]
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    text = "\n".join(lines) + "\n"
    meta = block["meta"]
    name = meta.get("municipality", "")
    g = gemeenten.get(name) if name else None
    if name and g is None:
        sys.exit(f"{ident}: unknown municipality {name!r}")
    sender = [s.strip() for s in meta.get("sender", "||").split("|")] + ["", "", ""]
    sentences, distractors = [], []
    for raw in block["labels"]:
        parts = [p.strip() for p in raw.split("|")]
        tag, sent = parts[0], parts[1]
        a, b = find(text, sent, ident)
        span = {
            "text": text[a:b],
            "start": a,
            "end": b,
            "byte_start": byte_off(text, a),
            "byte_end": byte_off(text, b),
        }
        if tag.startswith("!"):
            looks = tag[1:]
            looks = int(looks) if looks.isdigit() else looks
            distractors.append(
                {"text": span["text"], "looks_like": looks,
                 "reason": parts[2] if len(parts) > 2 else "", **{k: v for k, v in span.items() if k != "text"}})
            continue
        crit, _, domain = tag.partition("/")
        entry = {"text": span["text"], "criterion": int(crit) if crit.isdigit() else crit}
        if domain:
            entry["domain"] = domain
        entry.update({k: v for k, v in span.items() if k != "text"})
        sentences.append(entry)
    crits = sorted({s["criterion"] for s in sentences if s["criterion"] != "principle"})
    principle = any(s["criterion"] == "principle" for s in sentences)
    domains = sorted({s["domain"] for s in sentences if "domain" in s})
    slug = re.sub(r"[^a-z0-9]+", "-", ident.lower()).strip("-")
    label = {
        "id": ident,
        "file": f"{slug}.txt",
        "municipality": name,
        "cbs_code": g["cbs_code"] if g else "",
        "province": g["province"] if g else "",
        "sender": {"name": sender[0], "role": sender[1], "email": sender[2]},
        "style": meta.get("style", ""),
        "source": meta.get("source", ""),
        "page_date": meta.get("page_date", ""),
        "retrieved": meta.get("retrieved", ""),
        "criteria_met": [str(c) for c in crits],
        "principle_nothing_about_us": principle,
        "meets_minimum": len(crits) >= 2 and principle,
        "domains": domains,
        "word_count": len(text.split()),
        "sentences": sentences,
        "distractors": distractors,
    }
    return slug, text, label


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: build_labels.py OUTDIR SOURCE:PART [SOURCE:PART ...]")
    outdir = sys.argv[1]
    gemeenten = load_gemeenten()
    rows = []
    seen = set()
    for arg in sys.argv[2:]:
        source, _, rest = arg.partition(":")
        rule, _, history = rest.partition(":")
        if rule not in ("hash", "tune", "held") or not source:
            sys.exit(f"{arg}: expected SOURCE:hash, SOURCE:tune or SOURCE:held")
        for block in parse(source):
            if block["id"] in seen:
                sys.exit(f"duplicate id {block['id']}")
            seen.add(block["id"])
            slug, text, label = build(block, gemeenten)
            part = hash_part(block["id"]) if rule == "hash" else rule
            other = "held" if part == "tune" else "tune"
            for ext in (".txt", ".json"):
                stale = os.path.join(outdir, other, slug + ext)
                if os.path.exists(stale):
                    os.remove(stale)
            d = os.path.join(outdir, part)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, slug + ".txt"), "w", encoding="utf-8") as f:
                f.write(text)
            with open(os.path.join(d, slug + ".json"), "w", encoding="utf-8") as f:
                json.dump(label, f, ensure_ascii=False, indent=1)
                f.write("\n")
            rows.append((block["id"], part, os.path.basename(source), hash_part(block["id"]),
                         len(label["sentences"]), len(label["distractors"]), history))
    with open(os.path.join(outdir, "SPLIT.tsv"), "w", encoding="utf-8") as f:
        f.write("id\tpart\tsource\tround_one_hash\tlabels\tdistractors\thistory\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")
    tune = sum(1 for r in rows if r[1] == "tune")
    print(f"{len(rows)} texts: {tune} tune, {len(rows) - tune} held")


if __name__ == "__main__":
    main()
