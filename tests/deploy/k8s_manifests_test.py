#!/usr/bin/env python3
"""Checks the deployment files without a cluster: the Kubernetes manifests
(deploy/k8s/: every kustomization in it, its overlays' patches applied) and
the systemd unit (deploy/loyaltyd.service).

Parsing alone, with PyYAML (Debian: python3-yaml). It checks what would
break loyaltyd or weaken it in a cluster that accepts the YAML anyway: one
replica with a volume claim for the data directory; every file a flag names
really mounted from an object that has it; probes that can pass against the
port as loyaltyd serves it (TLS or plaintext); resources; the hardening of
the pod and of the unit; the Service reaching the pod; the grace period
above loyaltyd's shutdown grace. Each problem is one line naming the file,
the object and the field.

Before it believes a pass, it proves it can fail: it breaks copies of the
parsed objects and of the unit one way at a time and expects each to be
reported (--no-self-test skips that).

Usage: k8s_manifests_test.py [--root REPO] [--k8s-dir DIR] [--unit FILE]
                             [--no-self-test]
Exit code 0: all checks pass; 1: problems (listed on stderr).
"""
import argparse
import copy
import os
import posixpath
import re
import sys

import yaml

# loyaltyd's flags that name a file the pod must have.
FILE_FLAGS = ("--program", "--keys-file", "--identifier-key-file",
              "--tls-cert", "--tls-key", "--tls-client-ca")
# Flags every deployment passes.
REQUIRED_FLAGS = ("--listen", "--data-dir", "--program", "--keys-file",
                  "--identifier-key-file")
# Flags being added to server/main.cc in parallel with these manifests.
PENDING_FLAGS = {"--keys-file"}
LOYALTYD = "/usr/local/bin/loyaltyd"
# Where the data lives, in the image and under systemd.
DATA_DIR = "/var/lib/loyalty-ledger"


class Problems:
    """Collects problems as 'WHERE: FIELD: MESSAGE' lines."""

    def __init__(self):
        self.lines = []

    def add(self, where, field, message):
        self.lines.append(f"{where}: {field}: {message}")


# ---------------------------------------------------------------------------
# What the code says: loyaltyd's flags and its default shutdown grace.


class Loyaltyd:
    def __init__(self, root):
        main_cc = os.path.join(root, "server", "main.cc")
        server_h = os.path.join(root, "server", "server.h")
        with open(main_cc, encoding="utf-8") as f:
            text = f.read()
        self.value_flags = set(
            re.findall(r'add_option\(\s*"(--[a-z0-9-]+)"', text))
        self.value_flags |= PENDING_FLAGS
        self.bool_flags = set(re.findall(r'add_flag\(\s*"(--[a-z0-9-]+)"', text))
        if "--listen" not in self.value_flags or "--allow-plaintext" not in self.bool_flags:
            raise SystemExit(f"FAIL: cannot read loyaltyd's flags from {main_cc}")
        with open(server_h, encoding="utf-8") as f:
            found = re.search(r"int shutdown_grace_ms\s*=\s*([0-9']+);", f.read())
        if not found:
            raise SystemExit(
                f"FAIL: cannot read the default shutdown_grace_ms from {server_h}")
        self.shutdown_grace_ms_default = int(found.group(1).replace("'", ""))

    def parse_args(self, words, where, field, problems):
        """loyaltyd's argument words as {flag: value} (True for a bare flag);
        unknown flags and missing values are problems."""
        flags = {}
        i = 0
        while i < len(words):
            word = str(words[i])
            i += 1
            if word.startswith("$"):  # systemd: more flags from the environment
                continue
            if not word.startswith("--"):
                problems.add(where, field, f"{word!r} is no flag of loyaltyd")
                continue
            name, equals, value = word.partition("=")
            if name in self.bool_flags:
                flags[name] = True
            elif name in self.value_flags:
                if not equals:
                    if i >= len(words):
                        problems.add(where, field, f"{name} has no value")
                        break
                    value = str(words[i])
                    i += 1
                flags[name] = value
            else:
                problems.add(where, field,
                             f"unknown flag {name} (not in server/main.cc)")
                if not equals and i < len(words) and not str(words[i]).startswith("-"):
                    i += 1  # its value, most likely
        return flags


# ---------------------------------------------------------------------------
# Loading: kustomizations, their resources, JSON 6902 patches.


class Manifest:
    """One object and the file it came from."""

    def __init__(self, source, obj):
        self.source = source
        self.obj = obj

    @property
    def kind(self):
        return self.obj.get("kind", "?")

    @property
    def name(self):
        return (self.obj.get("metadata") or {}).get("name", "?")

    @property
    def where(self):
        return f"{self.source} {self.kind}/{self.name}"


def load_yaml_file(path, rel):
    with open(path, encoding="utf-8") as f:
        try:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as error:
            raise ManifestError(f"{rel}: not YAML: {error}")
    for doc in docs:
        if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
            raise ManifestError(f"{rel}: a document without kind and apiVersion")
    return docs


class ManifestError(Exception):
    pass


KUSTOMIZATION_KEYS = {"apiVersion", "kind", "resources", "patches",
                      "namespace", "images"}


def render(directory, shown_from, problems, visited=()):
    """The objects `kubectl kustomize DIRECTORY` would print, as Manifests,
    for the features these kustomizations use (resources, JSON 6902
    patches). Anything else is a problem: the check would be blind to it."""
    rel_dir = os.path.relpath(directory, shown_from)
    path = os.path.join(directory, "kustomization.yaml")
    with open(path, encoding="utf-8") as f:
        kustomization = yaml.safe_load(f) or {}
    where = f"{rel_dir}/kustomization.yaml"
    for key in kustomization:
        if key not in KUSTOMIZATION_KEYS:
            problems.add(where, key, "not understood by this test; teach it, "
                         "or its checks miss what this does")
    manifests = []
    for resource in kustomization.get("resources") or []:
        target = os.path.normpath(os.path.join(directory, resource))
        if os.path.isdir(target):
            if target in visited:
                problems.add(where, "resources", f"{resource}: a cycle")
                continue
            manifests += render(target, shown_from, problems, visited + (directory,))
        elif os.path.isfile(target):
            rel = os.path.relpath(target, shown_from)
            manifests += [Manifest(rel, d) for d in load_yaml_file(target, rel)]
        else:
            problems.add(where, "resources", f"{resource}: no such file or directory")
    for index, patch in enumerate(kustomization.get("patches") or []):
        apply_patch(patch, manifests, f"{where}", f"patches[{index}]", problems)
    return manifests


def apply_patch(patch, manifests, where, field, problems):
    target = patch.get("target") or {}
    if set(patch) != {"target", "patch"} or not isinstance(patch.get("patch"), str):
        problems.add(where, field, "only inline JSON 6902 patches with a target "
                     "are understood by this test")
        return
    operations = yaml.safe_load(patch["patch"])
    if not isinstance(operations, list):
        problems.add(where, field, "only JSON 6902 patches (a list of "
                     "operations) are understood by this test")
        return
    matched = [m for m in manifests
               if all((m.kind if k == "kind" else m.name if k == "name" else None) == v
                      for k, v in target.items())]
    if not matched:
        problems.add(where, f"{field}.target", f"{target} matches no object")
    for manifest in matched:
        for number, operation in enumerate(operations):
            try:
                apply_operation(manifest.obj, operation)
            except (KeyError, IndexError, ValueError, TypeError) as error:
                problems.add(where, f"{field}.patch[{number}]",
                             f"{operation.get('op')} {operation.get('path')}: {error}")
                return
        manifest.source = f"{manifest.source} (patched by {where})"


def apply_operation(document, operation):
    """One JSON 6902 operation (add, remove, replace, test) in place."""
    op = operation["op"]
    tokens = [t.replace("~1", "/").replace("~0", "~")
              for t in operation["path"].split("/")[1:]]
    parent = document
    for token in tokens[:-1]:
        parent = parent[int(token)] if isinstance(parent, list) else parent[token]
    last = tokens[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if op == "add":
            parent.insert(index, copy.deepcopy(operation["value"]))
        elif op == "remove":
            del parent[index]
        elif op == "replace":
            parent[index] = copy.deepcopy(operation["value"])
        elif op == "test":
            if parent[index] != operation["value"]:
                raise ValueError(f"test failed: {parent[index]!r}")
        else:
            raise ValueError(f"operation {op} not understood by this test")
        return
    if op in ("add", "replace"):
        if op == "replace" and last not in parent:
            raise KeyError(last)
        parent[last] = copy.deepcopy(operation["value"])
    elif op == "remove":
        del parent[last]
    elif op == "test":
        if parent[last] != operation["value"]:
            raise ValueError(f"test failed: {parent[last]!r}")
    else:
        raise ValueError(f"operation {op} not understood by this test")


def load_all(k8s_dir, shown_from, problems):
    """[(name, manifests)] for every kustomization under K8S_DIR, each with
    the example objects (*.example.yaml: what the operator creates, such as
    Secrets) added; plus problems about files no kustomization lists. Paths
    in messages are relative to SHOWN_FROM."""
    examples = []
    directories = []
    for directory, _, files in sorted(os.walk(k8s_dir)):
        for name in sorted(files):
            path = os.path.join(directory, name)
            rel = os.path.relpath(path, shown_from)
            if name.endswith(".example.yaml"):
                try:
                    examples += [Manifest(rel, d) for d in load_yaml_file(path, rel)]
                except ManifestError as error:
                    problems.add(rel, "-", str(error))
                with open(path, encoding="utf-8") as f:
                    if "REPLACE" not in f.read():
                        problems.add(rel, "-", "an example that does not say "
                                     "what to REPLACE before use")
            elif name == "kustomization.yaml":
                directories.append(directory)
    if not directories:
        problems.add(os.path.relpath(k8s_dir, shown_from), "-", "no kustomization.yaml")
    rendered = []
    for directory in directories:
        rel_dir = os.path.relpath(directory, shown_from)
        listed = set()
        with open(os.path.join(directory, "kustomization.yaml"), encoding="utf-8") as f:
            for resource in (yaml.safe_load(f) or {}).get("resources") or []:
                listed.add(os.path.normpath(os.path.join(directory, resource)))
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not name.endswith((".yaml", ".yml")) or name == "kustomization.yaml":
                continue
            if name.endswith(".example.yaml"):
                if path in listed:
                    problems.add(f"{rel_dir}/kustomization.yaml", "resources",
                                 f"{name} is an example: applying it would "
                                 "overwrite the real object with placeholders")
            elif path not in listed:
                problems.add(f"{rel_dir}/{name}", "-", "not in kustomization.yaml's "
                             "resources: `kubectl apply -k` would leave it out")
        try:
            manifests = render(directory, shown_from, problems)
        except ManifestError as error:
            problems.add(f"{rel_dir}/kustomization.yaml", "resources", str(error))
            continue
        rendered.append((rel_dir, manifests + copy.deepcopy(examples)))
    return rendered


# ---------------------------------------------------------------------------
# Checks of one rendered kustomization.


def parse_quantity(text):
    """A Kubernetes quantity as a float ('500m' -> 0.5, '1Gi' -> 2**30)."""
    text = str(text)
    binary = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
    decimal = {"m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
    for suffix, factor in binary.items():
        if text.endswith(suffix):
            return float(text[:-2]) * factor
    if text and text[-1] in decimal:
        return float(text[:-1]) * decimal[text[-1]]
    return float(text)


def is_under(path, directory):
    path = posixpath.normpath(path)
    directory = posixpath.normpath(directory)
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def object_keys(obj):
    keys = set()
    for field in ("data", "stringData", "binaryData"):
        keys |= set((obj.get(field) or {}).keys())
    return keys


class Context:
    def __init__(self, manifests, loyaltyd, problems):
        self.manifests = manifests
        self.loyaltyd = loyaltyd
        self.problems = problems

    def of_kind(self, kind):
        return [m for m in self.manifests if m.kind == kind]

    def find(self, kind, name):
        for m in self.manifests:
            if m.kind == kind and m.name == name:
                return m
        return None


def check_manifests(manifests, loyaltyd):
    problems = Problems()
    ctx = Context(manifests, loyaltyd, problems)
    kinds = {m.kind for m in manifests}
    for kind in ("StatefulSet", "Service", "ConfigMap", "Secret"):
        if kind not in kinds:
            problems.add("manifests", "kind", f"no {kind}")
    for m in manifests:
        if m.kind in ("Deployment", "DaemonSet", "ReplicaSet", "Pod"):
            problems.add(m.where, "kind", "loyaltyd runs only as a StatefulSet "
                         "of one replica (a single writer)")
    statefulsets = ctx.of_kind("StatefulSet")
    if len(statefulsets) > 1:
        problems.add("manifests", "kind", "more than one StatefulSet: the "
                     "ledger has a single writer")
    for statefulset in statefulsets:
        check_statefulset(ctx, statefulset)
    for configmap in ctx.of_kind("ConfigMap"):
        for key, value in (configmap.obj.get("data") or {}).items():
            if re.search(r"^\s*(api_keys|keys)\s*\{|key_sha256_hex", str(value), re.M):
                problems.add(configmap.where, f"data.{key}",
                             "holds API keys: they belong in a Secret (--keys-file), "
                             "a ConfigMap is not secret")
    return problems.lines


def check_statefulset(ctx, sts):
    problems = ctx.problems
    where = sts.where
    spec = sts.obj.get("spec") or {}
    if spec.get("replicas") != 1:
        problems.add(where, "spec.replicas", f"{spec.get('replicas')!r}: must be "
                     "exactly 1 (the ledger has a single writer; each replica "
                     "would open its own ledger)")
    service_name = spec.get("serviceName")
    if not service_name or not ctx.find("Service", service_name):
        problems.add(where, "spec.serviceName", f"{service_name!r} names no Service")
    template = spec.get("template") or {}
    pod_labels = (template.get("metadata") or {}).get("labels") or {}
    match_labels = (spec.get("selector") or {}).get("matchLabels") or {}
    if not match_labels or any(pod_labels.get(k) != v for k, v in match_labels.items()):
        problems.add(where, "spec.selector.matchLabels",
                     f"{match_labels} does not select the pod's labels {pod_labels}")
    pod = template.get("spec") or {}
    containers = pod.get("containers") or []
    if len(containers) != 1:
        problems.add(where, "spec.template.spec.containers",
                     f"{len(containers)} containers; expected loyaltyd alone")
    claims = {}
    for claim in spec.get("volumeClaimTemplates") or []:
        claim_name = (claim.get("metadata") or {}).get("name")
        claims[claim_name] = claim
        check_claim(ctx, where, claim_name, claim)
    if not claims:
        problems.add(where, "spec.volumeClaimTemplates",
                     "none: the ledger needs a persistent volume for --data-dir")
    volumes = {}
    for volume in pod.get("volumes") or []:
        volumes[volume.get("name")] = volume
        check_volume_source(ctx, where, volume)
    if set(volumes) & set(claims):
        problems.add(where, "spec.template.spec.volumes",
                     f"{sorted(set(volumes) & set(claims))} also in volumeClaimTemplates")
    check_pod_security(ctx, where, pod)
    grace = pod.get("terminationGracePeriodSeconds", 30)
    mounted = set()
    for container in containers:
        mounted |= check_container(ctx, sts, pod, container, volumes, claims,
                                   pod_labels, grace)
    for name in sorted((set(volumes) | set(claims)) - mounted):
        problems.add(where, "spec.template.spec.volumes",
                     f"volume {name!r} is mounted by no container")


def check_claim(ctx, where, name, claim):
    spec = claim.get("spec") or {}
    field = f"spec.volumeClaimTemplates[{name}]"
    modes = spec.get("accessModes") or []
    if not modes or not set(modes) <= {"ReadWriteOnce", "ReadWriteOncePod"}:
        ctx.problems.add(where, f"{field}.spec.accessModes",
                         f"{modes}: ReadWriteOnce or ReadWriteOncePod (one writer)")
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if not storage:
        ctx.problems.add(where, f"{field}.spec.resources.requests.storage", "not set")


def check_volume_source(ctx, where, volume):
    field = f"spec.template.spec.volumes[{volume.get('name')}]"
    for kind, ref_field in (("Secret", "secretName"), ("ConfigMap", "name")):
        source = volume.get(kind[0].lower() + kind[1:])
        if source is None:
            continue
        target_name = source.get(ref_field)
        target = ctx.find(kind, target_name)
        if target is None:
            ctx.problems.add(where, f"{field}.{kind[0].lower() + kind[1:]}.{ref_field}",
                             f"{target_name!r}: no {kind} of that name in the manifests "
                             "or their examples")
            continue
        keys = object_keys(target.obj)
        for item in source.get("items") or []:
            if item.get("key") not in keys:
                ctx.problems.add(where, f"{field}.items",
                                 f"key {item.get('key')!r} is not in {target.where} "
                                 f"(it has {sorted(keys)})")


def projected_files(ctx, volume):
    """The relative paths a Secret or ConfigMap volume shows, or None for a
    volume whose files the manifests do not say."""
    for kind, ref_field in (("Secret", "secretName"), ("ConfigMap", "name")):
        source = volume.get(kind[0].lower() + kind[1:])
        if source is None:
            continue
        if source.get("items"):
            return {item.get("path") for item in source["items"]}
        target = ctx.find(kind, source.get(ref_field))
        return object_keys(target.obj) if target else set()
    return None


def check_pod_security(ctx, where, pod):
    problems = ctx.problems
    context = pod.get("securityContext") or {}
    field = "spec.template.spec.securityContext"
    if context.get("runAsNonRoot") is not True:
        problems.add(where, f"{field}.runAsNonRoot", "must be true")
    uid = context.get("runAsUser")
    if not isinstance(uid, int) or uid == 0:
        problems.add(where, f"{field}.runAsUser", f"{uid!r}: the image's non-root "
                     "loyalty user's uid (a number, so the kubelet can check it)")
    group = context.get("runAsGroup", uid)
    fs_group = context.get("fsGroup")
    if not isinstance(fs_group, int) or fs_group == 0 or fs_group != group:
        problems.add(where, f"{field}.fsGroup", f"{fs_group!r}: the loyalty "
                     f"group ({group!r}), so the data volume and the mounted "
                     "secrets are its group's")
    if pod.get("automountServiceAccountToken") is not False:
        problems.add(where, "spec.template.spec.automountServiceAccountToken",
                     "must be false: loyaltyd never calls the Kubernetes API")
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        problems.add(where, "spec.template.spec", "shares the host's namespaces")


def check_container_security(ctx, where, pod, container, field):
    problems = ctx.problems
    pod_context = pod.get("securityContext") or {}
    context = container.get("securityContext") or {}
    field = f"{field}.securityContext"
    if context.get("allowPrivilegeEscalation") is not False:
        problems.add(where, f"{field}.allowPrivilegeEscalation", "must be false")
    if context.get("readOnlyRootFilesystem") is not True:
        problems.add(where, f"{field}.readOnlyRootFilesystem", "must be true")
    if context.get("privileged"):
        problems.add(where, f"{field}.privileged", "must not be true")
    capabilities = context.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        problems.add(where, f"{field}.capabilities.drop", "must drop ALL")
    if capabilities.get("add"):
        problems.add(where, f"{field}.capabilities.add",
                     f"{capabilities['add']}: loyaltyd needs none")
    if context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is not True:
        problems.add(where, f"{field}.runAsNonRoot", "must be true")
    if context.get("runAsUser", pod_context.get("runAsUser")) == 0:
        problems.add(where, f"{field}.runAsUser", "0 is root")
    seccomp = context.get("seccompProfile") or pod_context.get("seccompProfile") or {}
    if seccomp.get("type") != "RuntimeDefault":
        problems.add(where, f"{field}.seccompProfile.type",
                     f"{seccomp.get('type')!r}: RuntimeDefault (here or for the pod)")


def check_container(ctx, sts, pod, container, volumes, claims, pod_labels, grace):
    """Checks one container; returns the names of the volumes it mounts."""
    problems = ctx.problems
    where = sts.where
    field = f"spec.template.spec.containers[{container.get('name')}]"
    if not container.get("image"):
        problems.add(where, f"{field}.image", "not set")
    check_container_security(ctx, where, pod, container, field)

    # Resources.
    resources = container.get("resources") or {}
    for bound in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(bound) or {}):
                problems.add(where, f"{field}.resources.{bound}.{resource}", "not set")
    for resource in ("cpu", "memory"):
        request = (resources.get("requests") or {}).get(resource)
        limit = (resources.get("limits") or {}).get(resource)
        if request is not None and limit is not None:
            try:
                if parse_quantity(request) > parse_quantity(limit):
                    problems.add(where, f"{field}.resources.requests.{resource}",
                                 f"{request} is above the limit {limit}")
            except ValueError:
                problems.add(where, f"{field}.resources",
                             f"{resource}: {request!r} / {limit!r} is no quantity")

    # Mounts.
    mounts = {}
    for mount in container.get("volumeMounts") or []:
        name, path = mount.get("name"), mount.get("mountPath")
        if name not in volumes and name not in claims:
            problems.add(where, f"{field}.volumeMounts[{name}]",
                         f"names no volume (volumes: {sorted(volumes)}, "
                         f"volumeClaimTemplates: {sorted(claims)})")
        if path in mounts:
            problems.add(where, f"{field}.volumeMounts[{name}].mountPath",
                         f"{path} is mounted twice")
        if mount.get("subPath"):
            problems.add(where, f"{field}.volumeMounts[{name}].subPath",
                         "a subPath mount never sees updates of its Secret or "
                         "ConfigMap (the keys file is reloaded when it changes)")
        volume = volumes.get(name) or {}
        if (volume.get("secret") or volume.get("configMap")) and not mount.get("readOnly"):
            problems.add(where, f"{field}.volumeMounts[{name}].readOnly", "must be true")
        mounts[path] = name

    # Arguments.
    words = list(container.get("command") or [])
    if words and words[0] != LOYALTYD:
        problems.add(where, f"{field}.command", f"{words[0]!r}: expected {LOYALTYD}")
    words = words[1:] + list(container.get("args") or [])
    flags = ctx.loyaltyd.parse_args(words, where, f"{field}.args", problems)
    for flag in REQUIRED_FLAGS:
        if flag not in flags:
            problems.add(where, f"{field}.args", f"{flag} is missing")

    def mount_of(path):
        best = None
        for mount_path, name in mounts.items():
            if is_under(path, mount_path) and (best is None or len(mount_path) > len(best[0])):
                best = (mount_path, name)
        return best

    for flag in FILE_FLAGS:
        path = flags.get(flag)
        if path is None:
            continue
        found = mount_of(path) if posixpath.isabs(path) else None
        if found is None:
            problems.add(where, f"{field}.args {flag}",
                         f"{path} lies in no volumeMount (mounts: {sorted(mounts)})")
            continue
        mount_path, name = found
        volume = volumes.get(name)
        if volume is None:
            continue  # reported with the mounts
        files = projected_files(ctx, volume)
        relative = posixpath.relpath(path, mount_path)
        if files is None:
            problems.add(where, f"{field}.args {flag}",
                         f"{path} is in volume {name!r}, which is not a Secret or "
                         "ConfigMap: nothing puts the file there")
        elif relative not in files:
            problems.add(where, f"{field}.args {flag}",
                         f"{path}: volume {name!r} mounted at {mount_path} has "
                         f"{sorted(files)}, not {relative!r}")

    data_dir = flags.get("--data-dir")
    if data_dir is not None:
        found = mount_of(data_dir) if posixpath.isabs(data_dir) else None
        if found is None or found[1] not in claims:
            problems.add(where, f"{field}.args --data-dir",
                         f"{data_dir} is not on a volume of volumeClaimTemplates "
                         f"(claims: {sorted(claims)}, mounts: {sorted(mounts)}): "
                         "the ledger would not survive the pod")

    # TLS, the port and the probes.
    tls = "--tls-cert" in flags or "--tls-key" in flags
    if ("--tls-cert" in flags) != ("--tls-key" in flags):
        problems.add(where, f"{field}.args", "--tls-cert and --tls-key go together")
    tls_secrets = set()
    for flag in ("--tls-cert", "--tls-key"):
        found = mount_of(flags[flag]) if flag in flags else None
        secret = ((volumes.get(found[1]) or {}).get("secret") or {}) if found else {}
        if secret.get("secretName"):
            tls_secrets.add(secret["secretName"])
    for name in sorted(tls_secrets):
        target = ctx.find("Secret", name)
        if target is not None and target.obj.get("type") != "kubernetes.io/tls":
            problems.add(target.where, "type", f"{target.obj.get('type')!r}: the "
                         "Secret of --tls-cert and --tls-key should be kubernetes.io/tls")
    if "--tls-cert" in flags and "--allow-plaintext" in flags:
        problems.add(where, f"{field}.args", "--allow-plaintext beside --tls-cert "
                     "says two things: drop one")
    listen = str(flags.get("--listen", ""))
    host, _, port_text = listen.rpartition(":")
    if host not in ("0.0.0.0", "[::]"):
        problems.add(where, f"{field}.args --listen", f"{listen!r}: listen on "
                     "0.0.0.0 (or [::]) so the Service reaches the pod")
    if not tls and "--allow-plaintext" not in flags:
        problems.add(where, f"{field}.args", "neither --tls-cert/--tls-key nor "
                     "--allow-plaintext: loyaltyd refuses plaintext on a "
                     "non-loopback --listen")
    ports = {p.get("name"): p.get("containerPort")
             for p in container.get("ports") or []}
    grpc_port = ports.get("grpc")
    if grpc_port is None:
        problems.add(where, f"{field}.ports", "no port named grpc")
    elif not port_text.isdigit() or int(port_text) != grpc_port:
        problems.add(where, f"{field}.args --listen",
                     f"{listen!r} is not the grpc containerPort {grpc_port}")
    metrics_port = ports.get("metrics")
    if "--metrics-listen" in flags:
        metrics = str(flags["--metrics-listen"])
        metrics_host, _, metrics_port_text = metrics.rpartition(":")
        if metrics_host not in ("0.0.0.0", "[::]"):
            problems.add(where, f"{field}.args --metrics-listen", f"{metrics!r}: "
                         "listen on 0.0.0.0 (or [::]) so Prometheus reaches the pod")
        if metrics_port is None:
            problems.add(where, f"{field}.ports", "no port named metrics for "
                         "--metrics-listen")
        elif not metrics_port_text.isdigit() or int(metrics_port_text) != metrics_port:
            problems.add(where, f"{field}.args --metrics-listen",
                         f"{metrics!r} is not the metrics containerPort {metrics_port}")
    elif metrics_port is not None:
        problems.add(where, f"{field}.ports", "a port named metrics, but no "
                     "--metrics-listen: nothing listens on it")
    for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
        check_probe(ctx, where, f"{field}.{probe_name}", container.get(probe_name),
                    probe_name != "startupProbe", grpc_port, tls)

    # Shutdown.
    grace_ms = flags.get("--shutdown-grace-ms", ctx.loyaltyd.shutdown_grace_ms_default)
    try:
        grace_ms = int(grace_ms)
    except ValueError:
        problems.add(where, f"{field}.args --shutdown-grace-ms", f"{grace_ms!r} is no number")
        grace_ms = 0
    if not isinstance(grace, int) or grace * 1000 <= grace_ms:
        problems.add(where, "spec.template.spec.terminationGracePeriodSeconds",
                     f"{grace!r} s is not above loyaltyd's shutdown grace of "
                     f"{grace_ms} ms (--shutdown-grace-ms): SIGKILL would come "
                     "before the queue is drained and RocksDB closed")

    # The Services that select this pod.
    services = [s for s in ctx.of_kind("Service")]
    for service in services:
        check_service(ctx, service, pod_labels, container, grpc_port, metrics_port)
    return set(mounts.values())


def check_probe(ctx, where, field, probe, required, grpc_port, tls):
    problems = ctx.problems
    if not probe:
        if required:
            problems.add(where, field, "missing")
        return
    if "grpc" in probe:
        port = (probe.get("grpc") or {}).get("port")
        if port != grpc_port:
            problems.add(where, f"{field}.grpc.port", f"{port!r} is not the "
                         f"container's grpc port {grpc_port} (a grpc probe takes "
                         "the number, not a name)")
        if tls and (probe.get("grpc") or {}).get("mode") != "TLS":
            problems.add(where, f"{field}.grpc", "the kubelet's grpc probe dials "
                         "plaintext and loyaltyd serves TLS on this port "
                         "(--tls-cert): it would fail every time; probe the port "
                         "with tcpSocket")
    elif "tcpSocket" in probe:
        port = (probe.get("tcpSocket") or {}).get("port")
        if port not in ("grpc", grpc_port):
            problems.add(where, f"{field}.tcpSocket.port",
                         f"{port!r} is not the container's grpc port {grpc_port}")
        if not tls:
            problems.add(where, field, "loyaltyd serves plaintext here: use a grpc "
                         "probe, which asks its grpc.health.v1 service")
    else:
        problems.add(where, field, f"{sorted(probe)}: loyaltyd is probed with grpc "
                     "(plaintext) or tcpSocket (TLS); it serves no HTTP and the "
                     "image has no probe command")


def check_service(ctx, service, pod_labels, container, grpc_port, metrics_port):
    problems = ctx.problems
    spec = service.obj.get("spec") or {}
    where = service.where
    if spec.get("type", "ClusterIP") != "ClusterIP":
        problems.add(where, "spec.type", f"{spec.get('type')!r}: ClusterIP "
                     "(expose it beyond the cluster deliberately, not here)")
    selector = spec.get("selector") or {}
    if not selector or any(pod_labels.get(k) != v for k, v in selector.items()):
        problems.add(where, "spec.selector", f"{selector} does not select the "
                     f"pod's labels {pod_labels}")
    ports = spec.get("ports") or []
    grpc = [p for p in ports if p.get("name") == "grpc"]
    if not grpc:
        problems.add(where, "spec.ports", "no port named grpc")
    for port in grpc:
        if port.get("port") != 50051:
            problems.add(where, "spec.ports[grpc].port", f"{port.get('port')!r}: 50051")
        target = port.get("targetPort", port.get("port"))
        if target not in ("grpc", grpc_port):
            problems.add(where, "spec.ports[grpc].targetPort", f"{target!r} is not "
                         f"the container's grpc port ({grpc_port}, or its name)")
    for port in [p for p in ports if p.get("name") == "metrics"]:
        target = port.get("targetPort", port.get("port"))
        if metrics_port is None or target not in ("metrics", metrics_port):
            problems.add(where, "spec.ports[metrics].targetPort", f"{target!r} is "
                         f"not the container's metrics port ({metrics_port}, or "
                         "its name)")


# ---------------------------------------------------------------------------
# The systemd unit.


def parse_unit(text):
    """{section: [(key, value)]}, continuation lines joined."""
    sections = {}
    section = None
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            sections.setdefault(section, [])
            continue
        key, _, value = line.partition("=")
        sections.setdefault(section, []).append((key.strip(), value.strip()))
    return sections


def parse_timespan_seconds(text):
    """systemd time span ('30', '30s', '1min 30s', 'infinity') in seconds."""
    if text == "infinity":
        return float("inf")
    units = {"us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "m": 60, "min": 60,
             "h": 3600, "hr": 3600}
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)\s*([a-z]*)", text):
        total += float(number) * units.get(unit or "s", float("nan"))
    return total


UNIT_REQUIRED = {
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
    "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes", "RestrictNamespaces": "yes",
    "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes", "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes", "CapabilityBoundingSet": "",
    "AmbientCapabilities": "",
}
UNIT_PRESENT = ("RestrictAddressFamilies", "SystemCallFilter", "ReadWritePaths")
TRUE_WORDS = {"yes", "true", "on", "1"}


def check_unit(text, source, loyaltyd):
    problems = Problems()
    sections = parse_unit(text)
    service = sections.get("Service")
    if service is None:
        problems.add(source, "[Service]", "missing")
        return problems.lines
    where = f"{source} [Service]"

    def last(key):
        values = [v for k, v in service if k == key]
        return values[-1] if values else None

    user = last("User")
    if not user or user in ("root", "0"):
        problems.add(where, "User", f"{user!r}: run as a non-root user")
    if last("Group") in ("root", "0"):
        problems.add(where, "Group", "root")
    for key, wanted in UNIT_REQUIRED.items():
        value = last(key)
        normal = "yes" if value in TRUE_WORDS else value
        if normal != wanted:
            problems.add(where, key, f"{value!r}: expected {key}={wanted}")
    for key in UNIT_PRESENT:
        if not last(key):
            problems.add(where, key, "missing")

    exec_start = last("ExecStart") or ""
    words = exec_start.split()
    if not words or words[0] != LOYALTYD:
        problems.add(where, "ExecStart", f"should run {LOYALTYD}")
        words = words or [""]
    flags = loyaltyd.parse_args(words[1:], where, "ExecStart", problems)
    for flag in ("--listen", "--data-dir", "--program", "--keys-file"):
        if flag not in flags:
            problems.add(where, "ExecStart", f"{flag} is missing")
    defaults = dict(v.split("=", 1) for k, v in service if k == "Environment" and "=" in v)
    for variable in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", exec_start):
        if variable not in defaults:
            problems.add(where, "ExecStart", f"${variable} has no Environment= "
                         "default: without the environment file it is empty")
    data_dir = flags.get("--data-dir")
    writable = (last("ReadWritePaths") or "").split()
    state = last("StateDirectory")
    if state:
        writable.append("/var/lib/" + state)
    if data_dir and not any(is_under(data_dir, w.lstrip("-")) for w in writable):
        problems.add(where, "ReadWritePaths", f"{data_dir} (--data-dir) is "
                     "read-only under ProtectSystem=strict")
    reload = (last("ExecReload") or "").split()
    if len(reload) < 3 or not reload[0].endswith("/kill") or reload[1:] != ["-HUP", "$MAINPID"]:
        problems.add(where, "ExecReload", f"{last('ExecReload')!r}: expected "
                     "/bin/kill -HUP $MAINPID (SIGHUP reloads the keys file)")
    if last("KillSignal") not in (None, "SIGTERM", "TERM"):
        problems.add(where, "KillSignal", f"{last('KillSignal')!r}: SIGTERM drains")
    grace_ms = flags.get("--shutdown-grace-ms", loyaltyd.shutdown_grace_ms_default)
    stop = last("TimeoutStopSec")
    stop_seconds = parse_timespan_seconds(stop) if stop else 90  # systemd's default
    if not stop_seconds * 1000 > int(grace_ms):
        problems.add(where, "TimeoutStopSec", f"{stop!r} is not above loyaltyd's "
                     f"shutdown grace of {grace_ms} ms: SIGKILL would come first")
    return problems.lines


# ---------------------------------------------------------------------------
# Self-test: each way of breaking things must be reported.


def statefulset_of(manifests):
    return next(m.obj for m in manifests if m.kind == "StatefulSet")


def pod_of(manifests):
    return statefulset_of(manifests)["spec"]["template"]["spec"]


def container_of(manifests):
    return pod_of(manifests)["containers"][0]


def set_flag(manifests, flag, value):
    args = container_of(manifests)["args"]
    args[args.index(flag) + 1] = value


def remove_flag(manifests, flag, has_value=True):
    args = container_of(manifests)["args"]
    index = args.index(flag)
    del args[index:index + (2 if has_value else 1)]


def service_of(manifests):
    return next(m.obj for m in manifests if m.kind == "Service")


def secret_of(manifests, name):
    return next(m.obj for m in manifests if m.kind == "Secret"
                and m.obj["metadata"]["name"] == name)


def volume_named(manifests, name):
    return next(v for v in pod_of(manifests)["volumes"] if v["name"] == name)


def mount_named(manifests, name):
    return next(v for v in container_of(manifests)["volumeMounts"] if v["name"] == name)


def manifest_mutations():
    """(what is broken, how, text the report must contain). They assume the
    base's layout (TLS, the volumes it names)."""
    c, p, s = container_of, pod_of, statefulset_of
    return [
        ("two replicas", lambda m: s(m)["spec"].update(replicas=2), "spec.replicas"),
        ("no replicas field", lambda m: s(m)["spec"].pop("replicas"), "spec.replicas"),
        ("no volume claim", lambda m: s(m)["spec"].pop("volumeClaimTemplates"),
         "volumeClaimTemplates"),
        ("--data-dir off the claim", lambda m: set_flag(m, "--data-dir", "/data"),
         "--data-dir"),
        ("data on an emptyDir",
         lambda m: (p(m)["volumes"].append({"name": "scratch", "emptyDir": {}}),
                    mount_named(m, "data").update(name="scratch")),
         "--data-dir"),
        ("--keys-file names a file the Secret lacks",
         lambda m: set_flag(m, "--keys-file", "/etc/loyalty-ledger/keys/key.textproto"),
         "--keys-file"),
        ("--program outside every mount",
         lambda m: set_flag(m, "--program", "/etc/loyalty-ledger/program.textproto"),
         "--program"),
        ("--identifier-key-file item removed",
         lambda m: volume_named(m, "identifier-key")["secret"]["items"][0].update(
             path="other.key"), "--identifier-key-file"),
        ("--tls-key without its mount",
         lambda m: mount_named(m, "tls").update(mountPath="/etc/tls"), "--tls-key"),
        ("no --keys-file", lambda m: remove_flag(m, "--keys-file"), "--keys-file is missing"),
        ("a misspelt flag",
         lambda m: c(m)["args"].__setitem__(c(m)["args"].index("--tls-cert"), "--tls-certs"),
         "unknown flag --tls-certs"),
        ("plaintext without --allow-plaintext",
         lambda m: (remove_flag(m, "--tls-cert"), remove_flag(m, "--tls-key")),
         "--allow-plaintext"),
        ("listening on loopback", lambda m: set_flag(m, "--listen", "127.0.0.1:50051"),
         "--listen"),
        ("grpc probe against the TLS port",
         lambda m: c(m).update(livenessProbe={"grpc": {"port": 50051}}),
         "livenessProbe.grpc"),
        ("probe on another port",
         lambda m: c(m)["readinessProbe"].update(tcpSocket={"port": 50052}),
         "readinessProbe.tcpSocket.port"),
        ("no readiness probe", lambda m: c(m).pop("readinessProbe"), "readinessProbe"),
        ("an HTTP probe",
         lambda m: c(m).update(livenessProbe={"httpGet": {"port": 50051, "path": "/"}}),
         "livenessProbe"),
        ("no limits", lambda m: c(m)["resources"].pop("limits"), "resources.limits"),
        ("no memory request", lambda m: c(m)["resources"]["requests"].pop("memory"),
         "resources.requests.memory"),
        ("request above limit",
         lambda m: c(m)["resources"]["requests"].update(memory="4Gi"),
         "above the limit"),
        ("privilege escalation",
         lambda m: c(m)["securityContext"].update(allowPrivilegeEscalation=True),
         "allowPrivilegeEscalation"),
        ("writable root",
         lambda m: c(m)["securityContext"].pop("readOnlyRootFilesystem"),
         "readOnlyRootFilesystem"),
        ("capabilities kept",
         lambda m: c(m)["securityContext"]["capabilities"].update(drop=[]),
         "capabilities.drop"),
        ("a capability added",
         lambda m: c(m)["securityContext"]["capabilities"].update(add=["NET_ADMIN"]),
         "capabilities.add"),
        ("no seccomp profile",
         lambda m: (c(m)["securityContext"].pop("seccompProfile"),
                    p(m)["securityContext"].pop("seccompProfile")),
         "seccompProfile"),
        ("runs as root",
         lambda m: p(m)["securityContext"].update(runAsUser=0), "runAsUser"),
        ("runAsNonRoot off",
         lambda m: (p(m)["securityContext"].update(runAsNonRoot=False),
                    c(m)["securityContext"].pop("runAsNonRoot")), "runAsNonRoot"),
        ("fsGroup not the loyalty group",
         lambda m: p(m)["securityContext"].update(fsGroup=1234), "fsGroup"),
        ("service account token mounted",
         lambda m: p(m).pop("automountServiceAccountToken"), "automountServiceAccountToken"),
        ("a mount of no volume",
         lambda m: c(m)["volumeMounts"].append({"name": "nothing", "mountPath": "/x"}),
         "volumeMounts[nothing]"),
        ("a volume nobody mounts",
         lambda m: p(m)["volumes"].append({"name": "spare", "emptyDir": {}}),
         "'spare' is mounted by no container"),
        ("a subPath mount", lambda m: mount_named(m, "api-keys").update(subPath="keys.textproto"),
         "subPath"),
        ("a writable secret mount", lambda m: mount_named(m, "api-keys").pop("readOnly"),
         "readOnly"),
        ("secretName misspelt",
         lambda m: volume_named(m, "api-keys")["secret"].update(secretName="loyalty-secrets"),
         "secretName"),
        ("ConfigMap name misspelt",
         lambda m: volume_named(m, "program")["configMap"].update(name="program"),
         "configMap.name"),
        ("the Secret lacks the keys file",
         lambda m: secret_of(m, "loyalty-ledger-secrets")["stringData"].pop("keys.textproto"),
         "key 'keys.textproto'"),
        ("TLS Secret of type Opaque",
         lambda m: secret_of(m, "loyalty-ledger-tls").update(type="Opaque"),
         "kubernetes.io/tls"),
        ("API keys in the ConfigMap",
         lambda m: next(x.obj for x in m if x.kind == "ConfigMap")["data"].update(
             extra='api_keys {\n  key_sha256_hex: "00"\n}\n'), "API keys"),
        ("service selector off",
         lambda m: service_of(m)["spec"]["selector"].update(
             {"app.kubernetes.io/name": "other"}), "spec.selector"),
        ("service targetPort off",
         lambda m: service_of(m)["spec"]["ports"][0].update(targetPort=8080), "targetPort"),
        ("metrics flag off its port",
         lambda m: set_flag(m, "--metrics-listen", "0.0.0.0:9090"),
         "not the metrics containerPort"),
        ("metrics on loopback only",
         lambda m: set_flag(m, "--metrics-listen", "127.0.0.1:9464"),
         "so Prometheus reaches the pod"),
        ("service metrics targetPort off",
         lambda m: service_of(m)["spec"]["ports"][1].update(targetPort=9090),
         "spec.ports[metrics].targetPort"),
        ("service port unnamed",
         lambda m: service_of(m)["spec"]["ports"][0].pop("name"), "no port named grpc"),
        ("service of type LoadBalancer",
         lambda m: service_of(m)["spec"].update(type="LoadBalancer"), "spec.type"),
        ("statefulset selector off",
         lambda m: s(m)["spec"]["selector"]["matchLabels"].update(extra="x"),
         "matchLabels"),
        ("grace period below the shutdown grace",
         lambda m: p(m).update(terminationGracePeriodSeconds=5),
         "terminationGracePeriodSeconds"),
        ("shutdown grace raised past the grace period",
         lambda m: set_flag(m, "--shutdown-grace-ms", "60000"),
         "terminationGracePeriodSeconds"),
        ("no StatefulSet, a Deployment",
         lambda m: [x for x in m if x.kind == "StatefulSet"][0].obj.update(kind="Deployment"),
         "no StatefulSet"),
    ]


def unit_mutations():
    def drop(key):
        return lambda text: re.sub(rf"(?m)^{key}=.*\n", "", text)

    def replace(old, new):
        return lambda text: text.replace(old, new)

    return [
        ("no NoNewPrivileges", drop("NoNewPrivileges"), "NoNewPrivileges"),
        ("ProtectSystem=full", replace("ProtectSystem=strict", "ProtectSystem=full"),
         "ProtectSystem"),
        ("runs as root", replace("User=loyalty", "User=root"), "User"),
        ("no User", drop("User"), "User"),
        ("capabilities kept", drop("CapabilityBoundingSet"), "CapabilityBoundingSet"),
        ("no ExecReload", drop("ExecReload"), "ExecReload"),
        ("reload by restart", replace("-HUP $MAINPID", "-TERM $MAINPID"), "ExecReload"),
        ("stop timeout below the grace", replace("TimeoutStopSec=30", "TimeoutStopSec=5"),
         "TimeoutStopSec"),
        ("no --keys-file", replace("--keys-file", "--program"), "--keys-file"),
        ("a misspelt flag", replace("--data-dir", "--datadir"), "unknown flag --datadir"),
        ("data dir not writable",
         lambda text: drop("StateDirectory")(text).replace(
             "ReadWritePaths=/var/lib/loyalty-ledger", "ReadWritePaths=/srv/other"),
         "ReadWritePaths"),
        ("a variable without default", drop("Environment=LOYALTYD_LISTEN"),
         "$LOYALTYD_LISTEN"),
    ]


def self_test(rendered, unit_text, unit_source, loyaltyd):
    """Problems of the self-test itself: mutations nobody reported."""
    failures = []
    base = next((m for name, m in rendered
                 if any(x.kind == "StatefulSet" and "--tls-cert" in
                        (x.obj["spec"]["template"]["spec"]["containers"][0].get("args") or [])
                        for x in m)), None)
    if base is None:
        return ["self-test: no kustomization serving TLS to break"]
    baseline = set(check_manifests(base, loyaltyd))
    for what, mutate, expected in manifest_mutations():
        broken = copy.deepcopy(base)
        try:
            mutate(broken)
        except (KeyError, StopIteration, ValueError, IndexError) as error:
            failures.append(f"self-test: cannot break the manifests by {what!r}: "
                            f"{type(error).__name__} {error} (did the layout change?)")
            continue
        reported = set(check_manifests(broken, loyaltyd)) - baseline
        if not any(expected in line for line in reported):
            failures.append(f"self-test: {what!r} was not reported (expected a "
                            f"problem naming {expected!r}; got {sorted(reported)})")
    baseline = set(check_unit(unit_text, unit_source, loyaltyd))
    for what, mutate, expected in unit_mutations():
        broken = mutate(unit_text)
        if broken == unit_text:
            failures.append(f"self-test: cannot break the unit by {what!r} "
                            "(did the unit change?)")
            continue
        reported = set(check_unit(broken, unit_source, loyaltyd)) - baseline
        if not any(expected in line for line in reported):
            failures.append(f"self-test: unit {what!r} was not reported (expected "
                            f"{expected!r}; got {sorted(reported)})")
    return failures


def program_body(text):
    """A program file without its leading comment block (its header)."""
    lines = text.splitlines()
    first = 0
    while first < len(lines) and (lines[first].startswith("#") or not lines[first].strip()):
        first += 1
    return "\n".join(lines[first:]).strip()


def check_program_copy(manifests, sample_text):
    """The ConfigMap's program is the sample program: kustomize reads no file
    outside its root, so the manifests hold a copy, which must not drift."""
    lines = []
    for manifest in manifests:
        if manifest.kind != "ConfigMap":
            continue
        for key, value in (manifest.obj.get("data") or {}).items():
            if key.endswith(".textproto") and program_body(value) != program_body(sample_text):
                lines.append(f"{manifest.where}: data.{key} is not deploy/program.sample.textproto "
                             "(below its header comment); copy the sample into it again")
    return lines


def check_program_copy_can_fail(manifests, sample_text):
    """A ConfigMap whose program differs from the sample by one value is reported."""
    changed = copy.deepcopy(manifests)
    for manifest in changed:
        if manifest.kind == "ConfigMap" and "program.textproto" in (manifest.obj.get("data") or {}):
            data = manifest.obj["data"]
            data["program.textproto"] = data["program.textproto"].replace(
                "demo-retail", "demo-drifted", 1)
            return bool(check_program_copy(changed, sample_text))
    return False


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(here)),
                        help="repository root (server/main.cc, deploy/)")
    parser.add_argument("--k8s-dir", help="default: ROOT/deploy/k8s")
    parser.add_argument("--unit", help="default: ROOT/deploy/loyaltyd.service")
    parser.add_argument("--no-self-test", action="store_true",
                        help="skip proving that broken copies are reported")
    options = parser.parse_args()
    k8s_dir = os.path.abspath(options.k8s_dir or os.path.join(options.root, "deploy", "k8s"))
    unit = os.path.abspath(options.unit or os.path.join(options.root, "deploy", "loyaltyd.service"))
    loyaltyd = Loyaltyd(options.root)

    root = os.path.abspath(options.root)
    # Paths in messages: from the repository root, or from a copy's parent.
    shown_from = root if k8s_dir.startswith(root + os.sep) else os.path.dirname(k8s_dir)
    problems = Problems()
    rendered = load_all(k8s_dir, shown_from, problems)
    failures = list(problems.lines)
    for name, manifests in rendered:
        lines = check_manifests(manifests, loyaltyd)
        failures += lines
        print(f"{'ok' if not lines else 'FAIL'}: {name}: "
              f"{', '.join(f'{m.kind}/{m.name}' for m in manifests)}")
    with open(os.path.join(root, "deploy", "program.sample.textproto"), encoding="utf-8") as f:
        sample_text = f.read()
    for name, manifests in rendered:
        lines = check_program_copy(manifests, sample_text)
        if not lines and not check_program_copy_can_fail(manifests, sample_text):
            lines = [f"{name}: a ConfigMap program differing from the sample was not reported"]
        failures += lines
        print(f"{'ok' if not lines else 'FAIL'}: {name}: the ConfigMap's program is the sample's")
    unit_source = os.path.relpath(unit, root) if unit.startswith(root + os.sep) else unit
    with open(unit, encoding="utf-8") as f:
        unit_text = f.read()
    lines = check_unit(unit_text, unit_source, loyaltyd)
    failures += lines
    print(f"{'ok' if not lines else 'FAIL'}: {unit_source}")
    if options.no_self_test:
        pass
    elif failures:
        # A mutation that repeats a problem already there would look unseen.
        print("skipped: self-test (fix the problems below first)")
    else:
        lines = self_test(rendered, unit_text, unit_source, loyaltyd)
        failures += lines
        count = len(manifest_mutations()) + len(unit_mutations())
        print(f"{'ok' if not lines else 'FAIL'}: self-test: {count} broken copies, "
              "each reported")
    sys.stdout.flush()
    for line in failures:
        print(f"FAIL: {line}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} problem(s)", file=sys.stderr)
        return 1
    print("all deployment checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
