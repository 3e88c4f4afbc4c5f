#!/usr/bin/env python3
"""Generate a large MediaWiki XML dump for ingest benchmarks (memory, throughput).

Pages are built from the texts of a JSONL file (one object per line, text in
--text-field) wrapped in typical wikitext markup (infobox template, links,
references, a table, categories, a References section) and repeated with
unique titles until the output reaches --size-mb. Every 50th page is a redirect
and every 97th a disambiguation page, so the skip paths are exercised too.
The output is written outside the repository (it is data, not source).

usage: gen_wiki_xml.py INPUT.jsonl OUTPUT.xml[.bz2] --size-mb 2048 [--text-field eng_Latn]
"""
import argparse
import bz2
import json
import sys
from xml.sax.saxutils import escape


def wikify(text, n):
    paras = [p.strip() for p in text.split("\n") if p.strip()]
    out = ["{{Infobox thing|name=Page %d|value={{nowrap|%d}}}}" % (n, n)]
    for i, p in enumerate(paras):
        words = p.split(" ")
        if len(words) > 6:
            words[3] = "[[%s]]" % words[3]
            words[5] = "[[Target %d|%s]]" % (n, words[5])
        line = " ".join(words)
        if i == 0:
            line += "<ref>{{cite web|url=https://example.org/%d|title=Source}}</ref>" % n
        if len(p) < 40 and not p.endswith("."):
            line = "== %s ==" % p
        out.append(line)
    out.append('{| class="wikitable"\n|-\n| a || b\n|}')
    out.append("== References ==\n{{reflist}}\n[[Category:Generated]]")
    return "\n\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--size-mb", type=float, required=True)
    ap.add_argument("--text-field", default="text")
    a = ap.parse_args()
    texts = []
    with open(a.input, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                t = json.loads(line).get(a.text_field)
                if isinstance(t, str) and t.strip():
                    texts.append(t)
    if not texts:
        sys.exit("no texts in %s field %s" % (a.input, a.text_field))
    limit = int(a.size_mb * 1e6)
    raw = open(a.output, "wb")
    out = bz2.BZ2File(raw, "wb", compresslevel=1) if a.output.endswith(".bz2") else raw
    written = 0

    def w(s):
        nonlocal written
        b = s.encode("utf-8")
        written += len(b)
        out.write(b)

    w('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" xml:lang="en">\n'
      "  <siteinfo><sitename>Generated</sitename></siteinfo>\n")
    n = 0
    while written < limit:
        t = texts[n % len(texts)]
        title = "Generated page %d" % n
        if n % 50 == 49:
            body, extra = "#REDIRECT [[Generated page %d]]" % (n - 1), '<redirect title="x" />'
        elif n % 97 == 96:
            body, extra = "'''Page''' may refer to:\n* one\n* two\n{{disambiguation}}", ""
        else:
            body, extra = wikify(t, n), ""
        w("  <page>\n    <title>%s</title>\n    <ns>0</ns>\n    <id>%d</id>\n    %s\n"
          "    <revision>\n      <id>%d</id>\n      <text bytes=\"%d\" xml:space=\"preserve\">%s</text>\n"
          "    </revision>\n  </page>\n" % (escape(title), n + 1, extra, n + 1, len(body), escape(body)))
        n += 1
    w("</mediawiki>\n")
    out.close()
    if out is not raw:
        raw.close()
    print("%d pages, %.1f MB uncompressed -> %s" % (n, written / 1e6, a.output))


if __name__ == "__main__":
    main()
