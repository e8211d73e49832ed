#!/usr/bin/env python3
"""Checks events/*.json against template.yaml, and samconfig.toml's parameters against the template.

Every routed function must have events/<binary>.json and every fixture a routed function; each
fixture must be an API Gateway HTTP API payload 2.0 request whose routeKey, method and path agree
with the function's HttpApi event. Needs only the standard library and PyYAML (cfn-lint brings it).
Usage: python3 scripts/check-events.py   (from anywhere; exits 1 and lists the problems on failure)
"""

import json
import re
import shlex
import sys
import tomllib
import urllib.parse
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


class CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !Sub, …) as plain values."""


def _any_tag(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {tag_suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {tag_suffix: loader.construct_sequence(node, deep=True)}
    return {tag_suffix: loader.construct_mapping(node, deep=True)}


CfnLoader.add_multi_constructor("!", _any_tag)


def routes_from_template(template):
    """binary -> (method, path) for every function with an HttpApi event; plus unrouted binaries."""
    routed, unrouted = {}, []
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        events = [e for e in resource.get("Properties", {}).get("Events", {}).values() if e.get("Type") == "HttpApi"]
        if not events:
            unrouted.append(binary)
            continue
        props = events[0]["Properties"]
        routed[binary] = (props["Method"].upper(), props["Path"], logical_id)
    return routed, unrouted


def check_fixture(name, event, method, path, problems):
    def fail(msg):
        problems.append(f"events/{name}.json: {msg}")

    route_key = f"{method} {path}"
    ctx = event.get("requestContext", {})
    http = ctx.get("http", {})
    if event.get("version") != "2.0":
        fail('version must be "2.0"')
    if event.get("routeKey") != route_key:
        fail(f"routeKey {event.get('routeKey')!r} != template's {route_key!r}")
    if ctx.get("routeKey") != route_key:
        fail(f"requestContext.routeKey {ctx.get('routeKey')!r} != {route_key!r}")
    if http.get("method") != method:
        fail(f"requestContext.http.method {http.get('method')!r} != {method!r}")
    if ctx.get("stage") != "$default":
        fail('requestContext.stage must be "$default"')
    for key in ("accountId", "apiId", "domainName", "domainPrefix", "requestId", "time", "timeEpoch"):
        if key not in ctx:
            fail(f"requestContext.{key} is missing")
    for key in ("path", "protocol", "sourceIp", "userAgent"):
        if key not in http:
            fail(f"requestContext.http.{key} is missing")

    placeholders = re.findall(r"\{([^}]+)\}", path)
    params = event.get("pathParameters") or {}
    if sorted(params) != sorted(placeholders):
        fail(f"pathParameters keys {sorted(params)} != path placeholders {sorted(placeholders)}")
    expected_raw = path
    for key, value in params.items():
        expected_raw = expected_raw.replace("{" + key + "}", urllib.parse.quote(value, safe=""))
    if event.get("rawPath") != expected_raw:
        fail(f"rawPath {event.get('rawPath')!r} != {expected_raw!r}")
    if http.get("path") != event.get("rawPath"):
        fail("requestContext.http.path != rawPath")

    raw_query = event.get("rawQueryString", None)
    if raw_query is None:
        fail("rawQueryString is missing (use \"\" when there is none)")
    elif dict(urllib.parse.parse_qsl(raw_query)) != (event.get("queryStringParameters") or {}):
        fail("rawQueryString and queryStringParameters disagree")

    headers = event.get("headers", {})
    for header in headers:
        if header != header.lower():
            fail(f"header {header!r} is not lower-case")
    for header in ("host", "user-agent", "origin", "x-forwarded-for", "x-forwarded-proto"):
        if header not in headers:
            fail(f"header {header!r} is missing")
    if headers.get("host") != ctx.get("domainName"):
        fail("host header != requestContext.domainName")

    cookies = event.get("cookies")
    if cookies is not None and headers.get("cookie") not in (None, "; ".join(cookies)):
        fail("cookie header != the cookies array joined with '; '")

    body = event.get("body")
    if event.get("isBase64Encoded") is not False:
        fail("isBase64Encoded must be false")
    if body is not None:
        if not isinstance(body, str):
            fail("body must be a JSON string (the request body as text)")
        else:
            if headers.get("content-type", "").split(";")[0] != "application/json":
                fail("a body needs content-type: application/json")
            if headers.get("content-length") != str(len(body.encode())):
                fail(f"content-length {headers.get('content-length')!r} != {len(body.encode())}")
            try:
                json.loads(body)
            except ValueError as err:
                fail(f"body is not JSON: {err}")

    if path.startswith("/api/{user_id}/"):
        auth = headers.get("authorization", "")
        parts = auth.removeprefix("Bearer ").split(".")
        if not auth.startswith("Bearer ") or len(parts) != 3 or not all(parts):
            fail("task routes need authorization: Bearer <header.payload.signature>")


def check_samconfig(template, problems):
    params = template.get("Parameters", {})
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env_name, env in config.items():
        if not isinstance(env, dict):
            continue
        overrides = env.get("deploy", {}).get("parameters", {}).get("parameter_overrides")
        if overrides is None:
            problems.append(f"samconfig.toml [{env_name}.deploy.parameters] has no parameter_overrides")
            continue
        items = overrides if isinstance(overrides, list) else shlex.split(overrides)
        for item in items:
            key, _, value = item.partition("=")
            if key not in params:
                problems.append(f"samconfig.toml [{env_name}]: {key} is not a template parameter")
                continue
            if params[key].get("NoEcho"):
                problems.append(f"samconfig.toml [{env_name}]: {key} is NoEcho and must not be kept in the file")
            allowed = params[key].get("AllowedValues")
            if allowed is not None and value not in [str(a) for a in allowed]:
                problems.append(f"samconfig.toml [{env_name}]: {key}={value!r} is not one of {allowed}")
            pattern = params[key].get("AllowedPattern")
            if pattern is not None and not re.fullmatch(pattern, value):
                problems.append(f"samconfig.toml [{env_name}]: {key}={value!r} does not match {pattern}")


def main():
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
    routed, unrouted = routes_from_template(template)
    problems = []
    fixtures = {p.stem: p for p in sorted((ROOT / "events").glob("*.json"))}
    for binary in sorted(set(routed) - set(fixtures)):
        problems.append(f"{binary}: routed in template.yaml but events/{binary}.json is missing")
    for name in sorted(set(fixtures) - set(routed)):
        problems.append(f"events/{name}.json: no routed function has Binary {name!r}")
    for name in sorted(set(fixtures) & set(routed)):
        try:
            event = json.loads(fixtures[name].read_text())
        except ValueError as err:
            problems.append(f"events/{name}.json: not JSON: {err}")
            continue
        method, path, _ = routed[name]
        check_fixture(name, event, method, path, problems)
    check_samconfig(template, problems)

    for problem in problems:
        print("FAIL", problem)
    print(f"{len(fixtures)} fixtures, {len(routed)} routed functions, unrouted: {', '.join(map(str, unrouted)) or '-'}")
    print(f"check-events: {'FAILED, ' + str(len(problems)) + ' problem(s)' if problems else 'OK'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
