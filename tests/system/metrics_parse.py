"""Parse scrapes of a Prometheus endpoint the way Prometheus would.

usage: metrics_parse.py [--text] FILE...

Each FILE is one scrape, in the order taken. By default every one must parse
with prometheus_client's strict OpenMetrics parser (which also wants the
final "# EOF"); with --text, with its parser of the text format 0.0.4, and
no family may come out untyped (what a "# TYPE" line naming another family
than its samples' leads to) nor hold a counter sample without "_total". No
counter or histogram count may go down from one scrape to the next. Prints
the samples of the last scrape, one per line:
    name{label="value",...}<TAB>value
with the labels sorted by name. Exits 1 with the reason on the first error.
"""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families as text_families


def key(sample):
    labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(sample.labels.items()))
    return "%s{%s}" % (sample.name, labels) if labels else sample.name


def parse(path, text_format):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    samples, monotonic = {}, set()
    for fam in (text_families if text_format else om_families)(text):
        if text_format and fam.type not in ("counter", "gauge", "summary", "histogram"):
            raise ValueError("family %s is %s, not typed" % (fam.name, fam.type))
        for s in fam.samples:
            if text_format and fam.type == "counter" and not s.name.endswith("_total"):
                raise ValueError("counter %s has a sample %s" % (fam.name, s.name))
            k = key(s)
            if k in samples:
                raise ValueError("sample %s appears twice" % k)
            samples[k] = s.value
            if (fam.type == "counter" and s.name.endswith("_total")) or (
                fam.type == "histogram" and s.name.endswith(("_count", "_bucket"))
            ):
                monotonic.add(k)
    return samples, monotonic


def main():
    args = sys.argv[1:]
    text_format = bool(args) and args[0] == "--text"
    if text_format:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    prev = None
    for path in args:
        try:
            samples, monotonic = parse(path, text_format)
        except Exception as e:  # the parsers raise ValueError and others
            sys.exit("%s does not parse as %s: %s" % (
                path, "the text format" if text_format else "OpenMetrics", e))
        if prev is not None:
            for k in monotonic:
                if k in prev and samples[k] < prev[k]:
                    sys.exit("%s: counter %s went down from %g to %g"
                             % (path, k, prev[k], samples[k]))
        prev = samples
    for k, v in prev.items():
        print("%s\t%s" % (k, int(v) if float(v).is_integer() else repr(v)))


if __name__ == "__main__":
    main()
