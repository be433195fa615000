"""Parse scrapes of an OpenMetrics endpoint the way Prometheus would.

usage: metrics_parse.py FILE...

Each FILE is one scrape, in the order taken. Every one must parse with
prometheus_client's strict OpenMetrics parser (which also wants the final
"# EOF"), and no counter or histogram count may go down from one scrape to
the next. Prints the samples of the last scrape, one per line:
    name{label="value",...}<TAB>value
with the labels sorted by name. Exits 1 with the reason on the first error.
"""
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def key(sample):
    labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(sample.labels.items()))
    return "%s{%s}" % (sample.name, labels) if labels else sample.name


def parse(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    samples, monotonic = {}, set()
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
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
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    prev = None
    for path in sys.argv[1:]:
        try:
            samples, monotonic = parse(path)
        except Exception as e:  # the parser raises ValueError and others
            sys.exit("%s does not parse as OpenMetrics: %s" % (path, e))
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
