#!/usr/bin/env python3
"""metrics_dump.py FILE - parses a Prometheus text exposition with the
prometheus_client library (an independent reader: it fails on any format
error) and prints one `name{label="v",...} value` line per sample, labels
sorted, so shell tests can grep exact values."""
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
for family in text_string_to_metric_families(text):
    for sample in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
        value = sample.value
        shown = str(int(value)) if value == int(value) else repr(value)
        print(f"{sample.name}{{{labels}}} {shown}")
