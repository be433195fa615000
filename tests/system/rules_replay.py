"""Write a promtool rules test that replays recorded scrapes.

usage: rules_replay.py RULES OUT [--expect "MIN|EXPR|VALUE"]... -- SCRAPE...

Each SCRAPE is one scrape of a pktmon endpoint in the text format, in the
order taken; the i-th becomes the sample at minute i of every series it
holds (labelled job="pktmon-client", instance="recorded"), so rules written
for minutes run over seconds of a real client. A series missing from a
scrape has no sample there. Each --expect checks count(EXPR) at minute MIN:
VALUE is the count, or "none" for no result at all. OUT is JSON, which
promtool reads as YAML.
"""
import json
import os
import sys

from prometheus_client.parser import text_string_to_metric_families


def series_name(sample):
    labels = dict(sample.labels, job="pktmon-client", instance="recorded")
    inner = ",".join('%s="%s"' % (k, v.replace("\\", "\\\\").replace('"', '\\"'))
                     for k, v in sorted(labels.items()))
    return "%s{%s}" % (sample.name, inner)


def number(v):
    return "%d" % v if float(v).is_integer() else repr(float(v))


def main():
    args = sys.argv[1:]
    if "--" not in args or len(args) < 3:
        sys.exit(__doc__)
    split = args.index("--")
    head, scrapes = args[:split], args[split + 1:]
    rules, out, expects = head[0], head[1], []
    rest = head[2:]
    while rest:
        if rest[0] != "--expect" or len(rest) < 2:
            sys.exit(__doc__)
        minute, expr = rest[1].split("|", 1)
        expr, value = expr.rsplit("|", 1)
        expects.append((int(minute), expr, value))
        rest = rest[2:]

    values = {}
    for i, path in enumerate(scrapes):
        with open(path, encoding="utf-8") as f:
            for fam in text_string_to_metric_families(f.read()):
                for s in fam.samples:
                    values.setdefault(series_name(s), ["_"] * len(scrapes))[i] = number(s.value)

    tests = []
    for minute, expr, value in expects:
        exp = [] if value == "none" else [{"labels": "{}", "value": float(value)}]
        tests.append({"expr": "count(%s)" % expr, "eval_time": "%dm" % minute,
                      "exp_samples": exp})
    doc = {
        "rule_files": [os.path.abspath(rules)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [{"series": k, "values": " ".join(v)}
                             for k, v in sorted(values.items())],
            "promql_expr_test": tests,
        }],
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
