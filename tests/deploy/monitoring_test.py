#!/usr/bin/env python3
"""Checks the monitoring files in deploy/monitoring/ without Prometheus or
Grafana: the alert rules (loyaltyd-alerts.yaml) and the dashboard
(loyaltyd-dashboard.json).

Every metric name an alert expression or a dashboard query uses must be one
loyaltyd exports: deploy/monitoring/metric_names.txt (name and type), which
tests/server/metrics_test.cc holds to a real scrape of /metrics both ways,
so a renamed metric fails one test or the other. Histograms are used as
NAME_bucket, NAME_sum and NAME_count; `up` is Prometheus's own.

It also checks what makes rules and panels usable: the alerts an operator
needs are there (down, server errors, latency, write queue, fsync, storage,
change-stream lag, rate limiting), each with a duration, a severity, a
summary and a runbook anchor that docs/OPERATIONS.md has; braces and
parentheses balance; every panel has a query and a unique id.

Before it believes a pass it proves it can fail: it feeds its checks a rule
with an unknown metric, unbalanced parentheses and a missing runbook, and
expects each reported (--no-self-test skips that).

Usage: monitoring_test.py [--root REPO] [--no-self-test]
Exit code 0: all checks pass; 1: problems (listed on stderr).
"""
import argparse
import copy
import json
import os
import re
import sys

import yaml

# Prometheus's own series, not loyaltyd's.
BUILTIN_METRICS = {"up"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan",
}
# Alerts an operator needs, by name.
REQUIRED_ALERTS = {
    "LoyaltydDown", "LoyaltydServerErrors", "LoyaltydLatencyHigh",
    "LoyaltydWriteQueueBackingUp", "LoyaltydFsyncSlow",
    "LoyaltydStorageFailed", "LoyaltydChangeStreamLagging",
    "LoyaltydRateLimitedSpike",
}
SEVERITIES = {"critical", "warning"}


def read_metric_names(root):
    path = os.path.join(root, "deploy", "monitoring", "metric_names.txt")
    names = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, metric_type = line.split()
                names[name] = metric_type
    if names.get("grpc_server_handling_seconds") != "histogram":
        raise SystemExit(f"FAIL: cannot read metric names from {path}")
    return names


def metric_names_in(expr):
    """The metric names a PromQL expression reads: identifiers that are not
    functions, keywords, label names, label values or durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values, strings
    text = re.sub(r"\{[^{}]*\}", "", text)          # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)          # ranges [5m], [$__range]
    # Label lists of aggregations and vector matching.
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)",
                  " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)        # Grafana variables
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group(0)
        rest = text[match.end():].lstrip()
        if rest.startswith("("):
            continue  # a function or an aggregation
        if word.lower() in PROMQL_KEYWORDS:
            continue
        before = text[:match.start()]
        if re.search(r"[0-9.]$", before):
            continue  # a unit of a number, like 5m in offset 5m
        names.add(word)
    return names


def unknown_metrics(expr, exported):
    unknown = set()
    for name in metric_names_in(expr):
        # A histogram is read through its _bucket, _sum and _count series.
        if exported.get(name) not in (None, "histogram") or name in BUILTIN_METRICS:
            continue
        base = next((name[: -len(s)] for s in HISTOGRAM_SUFFIXES
                     if name.endswith(s)), None)
        if base is not None and exported.get(base) == "histogram":
            continue
        unknown.add(name)
    return unknown


def balanced(expr):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for char in re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr):
        if char in "([{":
            stack.append(char)
        elif char in pairs:
            if not stack or stack.pop() != pairs[char]:
                return False
    return not stack


def markdown_anchors(path):
    """GitHub's anchors of a markdown file's headings."""
    anchors = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            found = re.match(r"#+\s+(.*)", line)
            if found:
                title = found.group(1).strip().lower()
                title = re.sub(r"[^\w\- ]", "", title)
                anchors.add(title.replace(" ", "-"))
    return anchors


def check_rules(rules_doc, exported, anchors, where, problems):
    groups = (rules_doc or {}).get("groups") or []
    if not groups:
        problems.append(f"{where}: groups: none")
    seen = set()
    for group in groups:
        for index, rule in enumerate(group.get("rules") or []):
            name = rule.get("alert") or f"rules[{index}]"
            at = f"{where}: {name}"
            seen.add(name)
            expr = str(rule.get("expr") or "")
            if not expr.strip():
                problems.append(f"{at}: expr: empty")
            if not balanced(expr):
                problems.append(f"{at}: expr: unbalanced brackets")
            for metric in sorted(unknown_metrics(expr, exported)):
                problems.append(f"{at}: expr: {metric} is not a metric "
                                "loyaltyd exports (metric_names.txt)")
            if "job=\"loyaltyd\"" not in expr:
                problems.append(f"{at}: expr: not limited to job=\"loyaltyd\"")
            if not re.fullmatch(r"[0-9]+[smh]", str(rule.get("for", ""))):
                problems.append(f"{at}: for: missing (say 0m for at once)")
            severity = (rule.get("labels") or {}).get("severity")
            if severity not in SEVERITIES:
                problems.append(f"{at}: labels.severity: {severity!r} is not "
                                f"one of {sorted(SEVERITIES)}")
            annotations = rule.get("annotations") or {}
            for key in ("summary", "description", "runbook"):
                if not str(annotations.get(key, "")).strip():
                    problems.append(f"{at}: annotations.{key}: missing")
            runbook = str(annotations.get("runbook", ""))
            anchor = runbook.partition("#")[2]
            if runbook and (not runbook.startswith("docs/OPERATIONS.md#")
                            or anchor not in anchors):
                problems.append(f"{at}: annotations.runbook: {runbook!r} is "
                                "no heading of docs/OPERATIONS.md")
    for name in sorted(REQUIRED_ALERTS - seen):
        problems.append(f"{where}: {name}: missing (an operator needs it)")


def check_dashboard(dashboard, exported, where, problems):
    panels = dashboard.get("panels") or []
    if not panels:
        problems.append(f"{where}: panels: none")
    ids = set()
    queries = 0
    for panel in panels:
        title = panel.get("title", "?")
        at = f"{where}: panel {title!r}"
        if panel.get("id") in ids:
            problems.append(f"{at}: id {panel.get('id')} used twice")
        ids.add(panel.get("id"))
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{at}: targets: none")
        for target in targets:
            expr = str(target.get("expr") or "")
            queries += 1
            if not expr.strip():
                problems.append(f"{at}: targets[{target.get('refId')}]: no expr")
            if not balanced(expr):
                problems.append(f"{at}: {expr!r}: unbalanced brackets")
            for metric in sorted(unknown_metrics(expr, exported)):
                problems.append(f"{at}: {metric} is not a metric loyaltyd "
                                "exports (metric_names.txt)")
    variables = {v.get("name") for v in
                 (dashboard.get("templating") or {}).get("list") or []}
    for needed in ("datasource", "job", "instance"):
        if needed not in variables:
            problems.append(f"{where}: templating: no ${needed} variable")
    return queries


def self_test(rules_doc, dashboard, exported, anchors):
    """Breaks copies one way at a time; each must be reported."""
    failures = []
    breaks = [
        ("an unknown metric in a rule",
         lambda r, d: r["groups"][0]["rules"][0].update(
             expr='rate(loyalty_no_such_metric_total{job="loyaltyd"}[5m]) > 0'),
         "loyalty_no_such_metric_total"),
        ("a histogram suffix on a counter",
         lambda r, d: r["groups"][0]["rules"][0].update(
             expr='loyalty_members_bucket{job="loyaltyd"} > 0'),
         "loyalty_members_bucket"),
        ("a histogram's bare name",
         lambda r, d: r["groups"][0]["rules"][0].update(
             expr='loyalty_writer_sync_seconds{job="loyaltyd"} > 0'),
         "loyalty_writer_sync_seconds is not"),
        ("unbalanced parentheses",
         lambda r, d: r["groups"][0]["rules"][0].update(
             expr='sum(up{job="loyaltyd"} == 0'), "unbalanced"),
        ("a runbook that is no heading",
         lambda r, d: r["groups"][0]["rules"][0]["annotations"].update(
             runbook="docs/OPERATIONS.md#nowhere"), "runbook"),
        ("an alert missing",
         lambda r, d: r["groups"][0]["rules"].pop(0), "missing (an operator"),
        ("an unknown metric in a panel",
         lambda r, d: next(p for p in d["panels"] if p.get("targets"))
         ["targets"][0].update(expr="sum(loyalty_typo_entries)"),
         "loyalty_typo_entries"),
        ("two panels with one id",
         lambda r, d: d["panels"][1].update(id=d["panels"][0]["id"]), "used twice"),
    ]
    for what, breaker, expected in breaks:
        rules_copy, dashboard_copy = copy.deepcopy(rules_doc), copy.deepcopy(dashboard)
        breaker(rules_copy, dashboard_copy)
        problems = []
        check_rules(rules_copy, exported, anchors, "rules", problems)
        check_dashboard(dashboard_copy, exported, "dashboard", problems)
        if not any(expected in p for p in problems):
            failures.append(f"self-test: {what}: not reported (wanted "
                            f"{expected!r}; got {problems})")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    parser.add_argument("--no-self-test", action="store_true")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    exported = read_metric_names(root)
    anchors = markdown_anchors(os.path.join(root, "docs", "OPERATIONS.md"))
    rules_path = os.path.join(root, "deploy", "monitoring", "loyaltyd-alerts.yaml")
    dashboard_path = os.path.join(root, "deploy", "monitoring",
                                  "loyaltyd-dashboard.json")
    with open(rules_path, encoding="utf-8") as f:
        rules_doc = yaml.safe_load(f)
    with open(dashboard_path, encoding="utf-8") as f:
        dashboard = json.load(f)

    problems = []
    check_rules(rules_doc, exported, anchors, "deploy/monitoring/loyaltyd-alerts.yaml",
                problems)
    queries = check_dashboard(dashboard, exported,
                              "deploy/monitoring/loyaltyd-dashboard.json", problems)
    if not args.no_self_test:
        problems += self_test(rules_doc, dashboard, exported, anchors)
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print(f"FAIL: {len(problems)} problems", file=sys.stderr)
        return 1
    rules = sum(len(g.get("rules") or []) for g in rules_doc["groups"])
    print(f"OK: {rules} alert rules and {queries} dashboard queries use only "
          f"the {len(exported)} metrics loyaltyd exports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
