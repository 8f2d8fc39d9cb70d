#!/usr/bin/env python3
"""Builds the flag-evaluation test vectors (cases.json).

Inputs are written by hand below; the `expected` block of every case is
computed by reference_eval.evaluate(). Distinct ids used for rollout /
variant boundaries were found by brute-force search with the hash function
and are asserted here (expect_hash) so a name that quotes a hash can never
go stale.

    python3 generate.py            # writes cases.json next to this file
    python3 generate.py --check    # exit 1 if cases.json is not up to date
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_eval as ref  # noqa: E402

NOW = "2026-12-06T12:00:00Z"
_ABSENT = object()
_next_id = [0]
CASES = []


def expect_hash(key, ident, lo, hi, salt=""):
    h = ref.flag_hash(key, ident, salt)
    assert lo <= h <= hi, (key, ident, salt, h, lo, hi)
    return h


def p(key, operator=None, value=_ABSENT, type="person", **extra):
    d = {"key": key, "type": type}
    if value is not _ABSENT:
        d["value"] = value
    if operator is not None:
        d["operator"] = operator
    d.update(extra)
    return d


def cohort_ref(cid, operator=None, **extra):
    d = {"key": "id", "type": "cohort", "value": cid}
    if operator is not None:
        d["operator"] = operator
    d.update(extra)
    return d


def cond(props=None, rollout=100, variant=_ABSENT, agg=_ABSENT, no_props_key=False):
    d = {}
    if not no_props_key:
        d["properties"] = props if props is not None else []
    d["rollout_percentage"] = rollout
    if variant is not _ABSENT:
        d["variant"] = variant
    if agg is not _ABSENT:
        d["aggregation_group_type_index"] = agg
    return d


def variants(*pairs):
    return {"variants": [{"key": k, "name": k.title(), "rollout_percentage": r} for k, r in pairs]}


def flag(key, groups, multivariate=None, payloads=None, agg=None, active=True, eec=False):
    _next_id[0] += 1
    return {"id": _next_id[0], "key": key, "active": active, "deleted": False,
            "ensure_experience_continuity": eec,
            "filters": {"groups": groups, "multivariate": multivariate,
                        "payloads": payloads or {}, "aggregation_group_type_index": agg}}


def req(distinct_id, person=None, groups=None, group_props=None, **extra):
    r = {"distinct_id": distinct_id, "person_properties": person or {},
         "groups": groups or {}, "group_properties": group_props or {}}
    r.update(extra)
    return r


def case(name, flg, request, gtm=None, cohorts=None, now=NOW, expect=None):
    c = {"name": name, "flag": flg, "group_type_mapping": gtm or {},
         "cohorts": cohorts or {}, "now": now, "request": request}
    c["expected"] = ref.evaluate(c)
    if expect is not None:  # hand-stated expectations double-check the reference
        for k, v in expect.items():
            assert c["expected"][k] == v, (name, k, c["expected"][k], v)
    CASES.append(c)


def simple_prop_case(name, prop, person, expect_enabled, did="user_1"):
    case(name, flag("prop-flag", [cond([prop])]), req(did, person),
         expect={"enabled": expect_enabled,
                 "reason": "condition_match" if expect_enabled else "no_condition_match",
                 "condition_index": 0})


COMPANY = {"0": "company"}

# ---------------------------------------------------------------------------
# 1. Worked examples of client-api.md 4.7
# ---------------------------------------------------------------------------
expect_hash("beta-feature", "user_1", 0.43713, 0.43714)
case("4.7 ex1: beta-feature 50% user_1 h=0.43714 -> enabled",
     flag("beta-feature", [cond(rollout=50)], payloads={"true": "{\"color\": \"blue\"}"}),
     req("user_1"),
     expect={"enabled": True, "variant": None, "reason": "condition_match",
             "condition_index": 0, "payload": "{\"color\": \"blue\"}"})
case("4.7 ex1: beta-feature 40% user_1 h=0.43714 -> out_of_rollout_bound",
     flag("beta-feature", [cond(rollout=40)], payloads={"true": "{\"color\": \"blue\"}"}),
     req("user_1"),
     expect={"enabled": False, "reason": "out_of_rollout_bound", "condition_index": 0,
             "payload": None})
MV_PAYLOADS = {"control": "{\"color\": \"gray\"}", "test": "{\"color\": \"blue\"}"}
case("4.7 ex2: checkout-test 50/50 distinct_id_42 vh=0.66381 -> test",
     flag("checkout-test", [cond(rollout=100)], variants(("control", 50), ("test", 50)), MV_PAYLOADS),
     req("distinct_id_42"),
     expect={"enabled": True, "variant": "test", "payload": "{\"color\": \"blue\"}"})
case("4.7 ex2: checkout-test 34/33/33 -> test",
     flag("checkout-test", [cond(rollout=100)],
          variants(("control", 34), ("test", 33), ("test2", 33)), MV_PAYLOADS),
     req("distinct_id_42"), expect={"variant": "test"})
case("4.7 ex2: checkout-test rollout 90 h=0.90834 -> out_of_rollout_bound",
     flag("checkout-test", [cond(rollout=90)], variants(("control", 50), ("test", 50)), MV_PAYLOADS),
     req("distinct_id_42"),
     expect={"enabled": False, "variant": None, "reason": "out_of_rollout_bound", "payload": None})
case("4.7 ex3: group-flag company=acme-inc h=0.44298 -> enabled",
     flag("group-flag", [cond(rollout=50)], agg=0), req("user_1", groups={"company": "acme-inc"}),
     gtm=COMPANY, expect={"enabled": True, "reason": "condition_match", "condition_index": 0})
case("4.7 ex3: group-flag without groups.company -> no_group_type (index 0)",
     flag("group-flag", [cond(rollout=50)], agg=0), req("user_1"), gtm=COMPANY,
     expect={"enabled": False, "reason": "no_group_type", "condition_index": 0})
EX4_VARIANTS = variants(("first", 33), ("second", 33), ("third", 34))
case("4.7 ex4: cond0 email fails, cond1 95% h=0.93424 -> second, index 1",
     flag("multivariate-flag", [cond([p("email", "icontains", "@corp.com")], 100), cond(rollout=95)],
          EX4_VARIANTS),
     req("test_id", {"email": "a@other.com"}),
     expect={"enabled": True, "variant": "second", "condition_index": 1})
case("4.7 ex4: email x@corp.com matches cond0 -> second, index 0",
     flag("multivariate-flag", [cond([p("email", "icontains", "@corp.com")], 100), cond(rollout=95)],
          EX4_VARIANTS),
     req("test_id", {"email": "x@corp.com"}),
     expect={"enabled": True, "variant": "second", "condition_index": 0})
case("4.7 ex4: cond1 rollout 90 -> out_of_rollout_bound index 1 beats cond0 no_condition_match",
     flag("multivariate-flag", [cond([p("email", "icontains", "@corp.com")], 100), cond(rollout=90)],
          EX4_VARIANTS),
     req("test_id", {"email": "a@other.com"}),
     expect={"enabled": False, "reason": "out_of_rollout_bound", "condition_index": 1})
case("4.7 ex5: variant override control wins over hash (test)",
     flag("checkout-test", [cond(rollout=100, variant="control")],
          variants(("control", 50), ("test", 50)), MV_PAYLOADS),
     req("distinct_id_42"),
     expect={"variant": "control", "payload": "{\"color\": \"gray\"}"})
case("4.7 row H: simple-flag 45% some-distinct-id h=0.47776 -> out_of_rollout_bound",
     flag("simple-flag", [cond(rollout=45)]), req("some-distinct-id"),
     expect={"enabled": False, "reason": "out_of_rollout_bound"})
case("4.7 row H: simple-flag 48% some-distinct-id h=0.47776 -> enabled",
     flag("simple-flag", [cond(rollout=48)]), req("some-distinct-id"), expect={"enabled": True})

# ---------------------------------------------------------------------------
# 2. Rollout
# ---------------------------------------------------------------------------
h = expect_hash("rollout-boundary", "user_1599", 0.4998, 0.5)
case("rollout 50: user_1599 h=%.6f just under -> enabled" % h,
     flag("rollout-boundary", [cond(rollout=50)]), req("user_1599"), expect={"enabled": True})
h = expect_hash("rollout-boundary", "user_6625", 0.5, 0.5002)
case("rollout 50: user_6625 h=%.6f just over -> out_of_rollout_bound" % h,
     flag("rollout-boundary", [cond(rollout=50)]), req("user_6625"), expect={"enabled": False})
h = expect_hash("rollout-boundary", "user_11387", 0.1998, 0.2)
case("rollout 20: user_11387 h=%.6f just under -> enabled" % h,
     flag("rollout-boundary", [cond(rollout=20)]), req("user_11387"), expect={"enabled": True})
h = expect_hash("rollout-boundary", "user_1770", 0.2, 0.2003)
case("rollout 20: user_1770 h=%.6f just over -> out_of_rollout_bound" % h,
     flag("rollout-boundary", [cond(rollout=20)]), req("user_1770"), expect={"enabled": False})
h = expect_hash("rollout-boundary", "user_3037", 0.3327, 0.333)
case("rollout 33.3 (fractional): user_3037 h=%.6f under -> enabled" % h,
     flag("rollout-boundary", [cond(rollout=33.3)]), req("user_3037"), expect={"enabled": True})
h = expect_hash("rollout-boundary", "user_4018", 0.333, 0.3333)
case("rollout 33.3 (fractional): user_4018 h=%.6f over -> out_of_rollout_bound" % h,
     flag("rollout-boundary", [cond(rollout=33.3)]), req("user_4018"), expect={"enabled": False})
case("rollout 0 -> out_of_rollout_bound",
     flag("zero-rollout", [cond(rollout=0)]), req("user_1"),
     expect={"enabled": False, "reason": "out_of_rollout_bound", "condition_index": 0})
case("rollout 100 -> enabled",
     flag("full-rollout", [cond(rollout=100)]), req("user_6625"), expect={"enabled": True})
case("rollout null -> treated as 100 -> enabled",
     flag("null-rollout", [cond(rollout=None)]), req("user_6625"), expect={"enabled": True})
case("condition without properties key and null rollout -> enabled",
     flag("bare-condition", [cond(rollout=None, no_props_key=True)]), req("x"),
     expect={"enabled": True, "condition_index": 0})
case("properties match, rollout 0 -> out_of_rollout_bound",
     flag("props-then-rollout", [cond([p("plan", "exact", "pro")], 0)]),
     req("user_1", {"plan": "pro"}),
     expect={"enabled": False, "reason": "out_of_rollout_bound", "condition_index": 0})
case("empty groups -> disabled, reason no_group_type (Rust seed), condition_index null",
     flag("no-conditions", []), req("user_1"),
     expect={"enabled": False, "reason": "no_group_type", "condition_index": None})
case("inactive flag -> flag_disabled, condition_index null",
     flag("inactive-flag", [cond(rollout=100)], payloads={"true": "\"x\""}, active=False),
     req("user_1"),
     expect={"enabled": False, "reason": "flag_disabled", "condition_index": None, "payload": None})

# ---------------------------------------------------------------------------
# 3. Multivariate, overrides, payloads
# ---------------------------------------------------------------------------
h = expect_hash("variant-boundary", "user_1033", 0.4998, 0.5, "variant")
case("2 variants 50/50: user_1033 vh=%.6f just under 0.5 -> control" % h,
     flag("variant-boundary", [cond()], variants(("control", 50), ("test", 50))),
     req("user_1033"), expect={"variant": "control"})
h = expect_hash("variant-boundary", "user_233", 0.5, 0.5002, "variant")
case("2 variants 50/50: user_233 vh=%.6f just over 0.5 -> test" % h,
     flag("variant-boundary", [cond()], variants(("control", 50), ("test", 50))),
     req("user_233"), expect={"variant": "test"})
THREE = variants(("a", 33), ("b", 33), ("c", 34))
for ident, lo, hi, want in [("user_1", 0, 0.33, "a"), ("user_0", 0.33, 0.66, "b"),
                            ("user_2", 0.66, 1, "c")]:
    h = expect_hash("three-way", ident, lo, hi, "variant")
    case("3 variants 33/33/34: %s vh=%.6f -> %s" % (ident, h, want),
         flag("three-way", [cond()], THREE), req(ident), expect={"variant": want})
h = expect_hash("three-way", "user_11125", 0.6598, 0.66, "variant")
case("3 variants: user_11125 vh=%.6f just under cumulative 0.33+0.33 -> b" % h,
     flag("three-way", [cond()], THREE), req("user_11125"), expect={"variant": "b"})
h = expect_hash("three-way", "user_245", 0.66, 0.6602, "variant")
case("3 variants: user_245 vh=%.6f just over cumulative 0.33+0.33 -> c" % h,
     flag("three-way", [cond()], THREE), req("user_245"), expect={"variant": "c"})
UNEVEN = variants(("small", 10), ("medium", 20), ("large", 70))
for ident, lo, hi, want in [("user_24", 0, 0.1, "small"), ("user_2", 0.1, 0.3, "medium"),
                            ("user_0", 0.3, 1, "large")]:
    h = expect_hash("uneven-variants", ident, lo, hi, "variant")
    case("uneven 10/20/70: %s vh=%.6f -> %s" % (ident, h, want),
         flag("uneven-variants", [cond()], UNEVEN), req(ident), expect={"variant": want})
PARTIAL = variants(("x", 30), ("y", 30))
PARTIAL_PAYLOADS = {"true": "{\"fallback\": true}", "x": "{\"v\": \"x\"}"}
h = expect_hash("partial-variants", "user_1", 0.6, 1, "variant")
case("variants sum 60: user_1 vh=%.6f beyond 0.6 -> enabled, variant null, payload of \"true\"" % h,
     flag("partial-variants", [cond()], PARTIAL, PARTIAL_PAYLOADS), req("user_1"),
     expect={"enabled": True, "variant": None, "reason": "condition_match",
             "payload": "{\"fallback\": true}"})
h = expect_hash("partial-variants", "user_5", 0, 0.3, "variant")
case("variants sum 60: user_5 vh=%.6f -> x with its payload" % h,
     flag("partial-variants", [cond()], PARTIAL, PARTIAL_PAYLOADS), req("user_5"),
     expect={"variant": "x", "payload": "{\"v\": \"x\"}"})
h = expect_hash("partial-variants", "user_0", 0.3, 0.6, "variant")
case("variants sum 60: user_0 vh=%.6f -> y, no payload for y -> null" % h,
     flag("partial-variants", [cond()], PARTIAL, PARTIAL_PAYLOADS), req("user_0"),
     expect={"variant": "y", "payload": None})
case("variant with 0% first is skipped -> second variant",
     flag("zero-first-variant", [cond()], variants(("never", 0), ("always", 100))),
     req("user_1"), expect={"variant": "always"})
case("variant override naming unknown variant -> falls back to hashed variant (test)",
     flag("checkout-test", [cond(variant="nonexistent")], variants(("control", 50), ("test", 50))),
     req("distinct_id_42"), expect={"variant": "test"})
case("variant override on boolean flag (no variants) -> true, variant null",
     flag("bool-override", [cond(variant="control")], payloads={"true": "1"}), req("user_1"),
     expect={"enabled": True, "variant": None, "payload": "1"})
case("override in later condition is NOT prioritised (Rust): cond0 matches -> hashed test, index 0",
     flag("checkout-test", [cond(), cond(variant="control")],
          variants(("control", 50), ("test", 50))),
     req("distinct_id_42"), expect={"variant": "test", "condition_index": 0})
case("override condition reached when cond0 fails -> control, index 1",
     flag("checkout-test", [cond([p("plan", "exact", "pro")]), cond(variant="control")],
          variants(("control", 50), ("test", 50))),
     req("distinct_id_42", {"plan": "free"}), expect={"variant": "control", "condition_index": 1})
case("boolean flag payload only for \"true\" key; variant-less enabled -> payload",
     flag("bool-payload", [cond()], payloads={"true": "{\"a\": [1, 2]}"}), req("user_1"),
     expect={"payload": "{\"a\": [1, 2]}"})
case("boolean flag without payloads -> payload null",
     flag("bool-no-payload", [cond()]), req("user_1"), expect={"enabled": True, "payload": None})

# ---------------------------------------------------------------------------
# 4. Reason precedence / condition_index
# ---------------------------------------------------------------------------
case("cond0 out_of_rollout_bound, cond1 props fail -> out_of_rollout_bound index 0",
     flag("precedence-a", [cond(rollout=0), cond([p("plan", "exact", "pro")])]),
     req("user_1", {"plan": "free"}),
     expect={"enabled": False, "reason": "out_of_rollout_bound", "condition_index": 0})
case("three conditions all no_condition_match -> index of LAST (ties go to later)",
     flag("precedence-b", [cond([p("plan", "exact", "a")]), cond([p("plan", "exact", "b")]),
                           cond([p("plan", "exact", "c")])]),
     req("user_1", {"plan": "z"}),
     expect={"enabled": False, "reason": "no_condition_match", "condition_index": 2})
case("two out_of_rollout_bound conditions -> index of the later one",
     flag("precedence-c", [cond(rollout=0), cond([p("plan", "exact", "z")], 0),
                           cond([p("plan", "exact", "q")])]),
     req("user_1", {"plan": "z"}),
     expect={"enabled": False, "reason": "out_of_rollout_bound", "condition_index": 1})
case("group condition skipped (no group) then person condition fails -> no_condition_match index 1",
     flag("mixed-a", [cond(agg=0), cond([p("plan", "exact", "pro")], agg=None)]),
     req("user_1", {"plan": "free"}), gtm=COMPANY,
     expect={"enabled": False, "reason": "no_condition_match", "condition_index": 1})
case("person condition fails then group condition skipped -> no_condition_match index 0",
     flag("mixed-b", [cond([p("plan", "exact", "pro")], agg=None), cond(agg=0)]),
     req("user_1", {"plan": "free"}), gtm=COMPANY,
     expect={"enabled": False, "reason": "no_condition_match", "condition_index": 0})
case("person condition out of rollout, group condition skipped -> out_of_rollout_bound index 0",
     flag("mixed-c", [cond(rollout=0, agg=None), cond(agg=0)]), req("user_1"), gtm=COMPANY,
     expect={"enabled": False, "reason": "out_of_rollout_bound", "condition_index": 0})
case("second condition matches after first fails -> condition_match index 1",
     flag("precedence-d", [cond([p("plan", "exact", "pro")]), cond([p("plan", "exact", "free")])]),
     req("user_1", {"plan": "free"}), expect={"enabled": True, "condition_index": 1})

# ---------------------------------------------------------------------------
# 5. Operators
# ---------------------------------------------------------------------------
# exact
simple_prop_case("exact: case-insensitive string 'US' vs 'us'", p("country", "exact", "US"),
                 {"country": "us"}, True)
simple_prop_case("exact: different string", p("country", "exact", "US"), {"country": "DE"}, False)
simple_prop_case("exact: missing property -> false", p("country", "exact", "US"), {}, False)
simple_prop_case("exact: operator omitted defaults to exact", p("country", None, "US"),
                 {"country": "US"}, True)
simple_prop_case("exact: filter \"10\" vs number 10 -> match", p("age", "exact", "10"), {"age": 10}, True)
simple_prop_case("exact: filter 10 vs string \"10\" -> match", p("age", "exact", 10), {"age": "10"}, True)
simple_prop_case("exact: filter 10 vs 10.0 -> no match (\"10\" != \"10.0\")", p("age", "exact", 10),
                 {"age": 10.0}, False)
simple_prop_case("exact: list membership case-insensitive ['US','CA'] vs 'ca'",
                 p("country", "exact", ["US", "CA"]), {"country": "ca"}, True)
simple_prop_case("exact: list non-member", p("country", "exact", ["US", "CA"]), {"country": "DE"}, False)
simple_prop_case("exact: list of numbers vs string '2'", p("tier", "exact", [1, 2, 3]), {"tier": "2"}, True)
simple_prop_case("exact: bool true vs string 'True' -> match", p("beta", "exact", True),
                 {"beta": "True"}, True)
simple_prop_case("exact: string 'true' vs bool true -> match", p("beta", "exact", "true"),
                 {"beta": True}, True)
simple_prop_case("exact: bool true vs 'yes' -> no match", p("beta", "exact", True), {"beta": "yes"}, False)
simple_prop_case("exact: bool false vs 'no' -> match (any non-'true' is falsy)", p("beta", "exact", False),
                 {"beta": "no"}, True)
simple_prop_case("exact: ['true','false'] vs true -> no match (list truthy only if all true)",
                 p("beta", "exact", ["true", "false"]), {"beta": True}, False)
simple_prop_case("exact: ['true'] vs 'TRUE' -> match", p("beta", "exact", ["true"]), {"beta": "TRUE"}, True)
simple_prop_case("exact: unicode full lowercase 'ÄPFEL' vs 'äpfel' -> match", p("fruit", "exact", "ÄPFEL"),
                 {"fruit": "äpfel"}, True)
simple_prop_case("exact: filter value null -> false", p("country", "exact", None), {"country": "US"}, False)
simple_prop_case("exact: filter 'null' vs property null -> match (str(null)='null')",
                 p("ref", "exact", "null"), {"ref": None}, True)
# is_not
simple_prop_case("is_not: different value -> true", p("country", "is_not", "US"), {"country": "DE"}, True)
simple_prop_case("is_not: same value other case -> false", p("country", "is_not", "US"), {"country": "us"}, False)
simple_prop_case("is_not: missing property -> true", p("country", "is_not", "US"), {}, True)
simple_prop_case("is_not: property null -> true", p("country", "is_not", "US"), {"country": None}, True)
simple_prop_case("is_not: list, value not in list -> true", p("country", "is_not", ["US", "CA"]),
                 {"country": "DE"}, True)
simple_prop_case("is_not: list, value in list -> false", p("country", "is_not", ["US", "CA"]),
                 {"country": "ca"}, False)
simple_prop_case("is_not: bool true vs 'false' -> true", p("beta", "is_not", True), {"beta": "false"}, True)
simple_prop_case("is_not: number 10 vs '10' -> false", p("age", "is_not", 10), {"age": "10"}, False)
simple_prop_case("is_not: filter value null -> false even when property missing", p("country", "is_not", None),
                 {}, False)
# icontains / not_icontains
simple_prop_case("icontains: case-insensitive substring", p("email", "icontains", "@EXAMPLE.com"),
                 {"email": "a@example.COM"}, True)
simple_prop_case("icontains: no substring", p("email", "icontains", "@example.com"),
                 {"email": "a@other.com"}, False)
simple_prop_case("icontains: missing -> false", p("email", "icontains", "@example.com"), {}, False)
simple_prop_case("icontains: number property 323 contains '3'", p("code", "icontains", "3"), {"code": 323}, True)
simple_prop_case("icontains: ASCII-only folding 'Ä' vs 'ä' -> no match", p("name", "icontains", "Ä"),
                 {"name": "bär"}, False)
simple_prop_case("not_icontains: substring present -> false", p("email", "not_icontains", "@example.com"),
                 {"email": "A@Example.com"}, False)
simple_prop_case("not_icontains: substring absent -> true", p("email", "not_icontains", "@example.com"),
                 {"email": "a@other.com"}, True)
simple_prop_case("not_icontains: missing -> true", p("email", "not_icontains", "@example.com"), {}, True)
# starts_with / ends_with
simple_prop_case("starts_with: case-insensitive prefix", p("url", "starts_with", "HTTPS://"),
                 {"url": "https://x.io"}, True)
simple_prop_case("ends_with: suffix mismatch", p("url", "ends_with", ".com"), {"url": "https://x.io"}, False)
simple_prop_case("not_starts_with: missing -> true", p("url", "not_starts_with", "https://"), {}, True)
# regex / not_regex
simple_prop_case("regex: search semantics (unanchored) matches", p("email", "regex", r"corp\.com"),
                 {"email": "jane@corp.com.au"}, True)
simple_prop_case("regex: anchored pattern does not match", p("email", "regex", r"^corp"),
                 {"email": "jane@corp.com"}, False)
simple_prop_case("regex: missing -> false", p("email", "regex", ".*"), {}, False)
simple_prop_case("regex: number property 12345 vs ^123", p("zip", "regex", "^123"), {"zip": 12345}, True)
simple_prop_case("regex: inline (?i) flag", p("name", "regex", "(?i)^ALICE$"), {"name": "alice"}, True)
simple_prop_case("regex: invalid pattern '(unclosed' -> false", p("name", "regex", "(unclosed"),
                 {"name": "(unclosed"}, False)
simple_prop_case("not_regex: no match -> true", p("email", "not_regex", r"@corp\.com$"),
                 {"email": "a@other.com"}, True)
simple_prop_case("not_regex: match -> false", p("email", "not_regex", r"@corp\.com$"),
                 {"email": "a@corp.com"}, False)
simple_prop_case("not_regex: missing -> true", p("email", "not_regex", r"@corp\.com$"), {}, True)
simple_prop_case("not_regex: invalid pattern '[a-' -> false (not true)", p("name", "not_regex", "[a-"),
                 {"name": "bob"}, False)
# gt / gte / lt / lte
simple_prop_case("gt: 30 > 18", p("age", "gt", 18), {"age": 30}, True)
simple_prop_case("gt: 18 > 18 false", p("age", "gt", 18), {"age": 18}, False)
simple_prop_case("gte: 18 >= 18", p("age", "gte", 18), {"age": 18}, True)
simple_prop_case("lt: 17 < 18", p("age", "lt", 18), {"age": 17}, True)
simple_prop_case("lte: 18.5 <= 18 false", p("age", "lte", 18), {"age": 18.5}, False)
simple_prop_case("gt: string '10' > 9 numerically (not lexically)", p("count", "gt", 9), {"count": "10"}, True)
simple_prop_case("gt: filter value string '18' vs number 20", p("age", "gt", "18"), {"age": 20}, True)
simple_prop_case("lt: '3.5' < 4", p("score", "lt", 4), {"score": "3.5"}, True)
simple_prop_case("gt: exponent string '1e3' > 999", p("score", "gt", 999), {"score": "1e3"}, True)
simple_prop_case("gt: non-numeric property 'abc' -> false", p("age", "gt", 1), {"age": "abc"}, False)
simple_prop_case("lt: non-numeric property 'abc' -> false (not true)", p("age", "lt", 1), {"age": "abc"}, False)
simple_prop_case("gt: whitespace ' 10' does not parse -> false", p("age", "gt", 1), {"age": " 10"}, False)
simple_prop_case("gt: boolean property -> false", p("age", "gt", 0), {"age": True}, False)
simple_prop_case("gt: non-numeric filter value -> false", p("age", "gt", "abc"), {"age": 5}, False)
simple_prop_case("gte: missing -> false", p("age", "gte", 0), {}, False)
# is_set / is_not_set
simple_prop_case("is_set: present with null value -> true", p("nick", "is_set", "is_set"), {"nick": None}, True)
simple_prop_case("is_set: missing -> false", p("nick", "is_set", "is_set"), {}, False)
simple_prop_case("is_set: no value key at all -> still evaluated", p("nick", "is_set"), {"nick": ""}, True)
simple_prop_case("is_not_set: missing -> true", p("nick", "is_not_set", "is_not_set"), {}, True)
simple_prop_case("is_not_set: present -> false", p("nick", "is_not_set", "is_not_set"), {"nick": "x"}, False)
simple_prop_case("is_set: distinct_id is always a person property", p("distinct_id", "is_set", "is_set"),
                 {}, True)
simple_prop_case("exact on implicit distinct_id property", p("distinct_id", "exact", ["user_1", "user_2"]),
                 {}, True)
simple_prop_case("request person_properties.distinct_id overrides implicit one",
                 p("distinct_id", "exact", "user_1"), {"distinct_id": "someone-else"}, False)
simple_prop_case("$initial_browser filled from $browser when missing", p("$initial_browser", "exact", "Chrome"),
                 {"$browser": "Chrome"}, True)
simple_prop_case("$initial_browser present is not overwritten by $browser",
                 p("$initial_browser", "exact", "Chrome"),
                 {"$browser": "Chrome", "$initial_browser": "Firefox"}, False)

# dates (now = 2026-12-06T12:00:00Z unless stated)
simple_prop_case("is_date_before: absolute date, ISO property earlier",
                 p("signup", "is_date_before", "2026-01-01"), {"signup": "2025-06-01T00:00:00Z"}, True)
simple_prop_case("is_date_before: equal instant is not before",
                 p("signup", "is_date_before", "2026-01-01"), {"signup": "2026-01-01T00:00:00Z"}, False)
simple_prop_case("is_date_after: filter with +02:00 offset (= 2025-12-31T22:00Z), property 23:00Z",
                 p("signup", "is_date_after", "2026-01-01T00:00:00+02:00"),
                 {"signup": "2025-12-31T23:00:00Z"}, True)
simple_prop_case("is_date_after: naive property datetime read as UTC",
                 p("signup", "is_date_after", "2025-12-31T22:30:00Z"),
                 {"signup": "2025-12-31 23:00:00"}, True)
simple_prop_case("is_date_before: naive filter datetime with fraction, property date-only",
                 p("signup", "is_date_before", "2026-01-01 00:00:00.500"), {"signup": "2026-01-01"}, True)
simple_prop_case("is_date_after -7d: property 3 days ago -> true",
                 p("last_seen", "is_date_after", "-7d"), {"last_seen": "2026-12-03T12:00:00Z"}, True)
simple_prop_case("is_date_after -7d: property 10 days ago -> false",
                 p("last_seen", "is_date_after", "-7d"), {"last_seen": "2026-11-26T12:00:00Z"}, False)
simple_prop_case("is_date_after '7d' (no minus) == -7d",
                 p("last_seen", "is_date_after", "7d"), {"last_seen": "2026-12-03T12:00:00Z"}, True)
simple_prop_case("is_date_before -24h: property 25h ago -> true",
                 p("last_seen", "is_date_before", "-24h"), {"last_seen": "2026-12-05T11:00:00Z"}, True)
simple_prop_case("is_date_before -24h: property 23h ago -> false",
                 p("last_seen", "is_date_before", "-24h"), {"last_seen": "2026-12-05T13:00:00Z"}, False)
simple_prop_case("is_date_after -2w: property 13 days ago -> true",
                 p("last_seen", "is_date_after", "-2w"), {"last_seen": "2026-11-23T12:00:00Z"}, True)
simple_prop_case("is_date_before -1m: threshold 2026-11-06T12:00Z, property 11:00 -> true",
                 p("last_seen", "is_date_before", "-1m"), {"last_seen": "2026-11-06T11:00:00Z"}, True)
simple_prop_case("is_date_before -1y: threshold 2025-12-06T12:00Z, property 13:00 -> false",
                 p("last_seen", "is_date_before", "-1y"), {"last_seen": "2025-12-06T13:00:00Z"}, False)
simple_prop_case("is_date_before: epoch-seconds number property (2026-01-01) before 2026-06-01",
                 p("signup", "is_date_before", "2026-06-01"), {"signup": 1767225600}, True)
simple_prop_case("is_date_after: numeric-string property is epoch seconds",
                 p("signup", "is_date_after", "2025-12-31"), {"signup": "1767225600"}, True)
simple_prop_case("is_date_after: relative string on the PROPERTY side ('-1d') is parsed too",
                 p("signup", "is_date_after", "-7d"), {"signup": "-1d"}, True)
simple_prop_case("is_date_before: unparseable property -> false",
                 p("signup", "is_date_before", "2026-06-01"), {"signup": "not a date"}, False)
simple_prop_case("is_date_before: missing property -> false",
                 p("signup", "is_date_before", "2026-06-01"), {}, False)
simple_prop_case("is_date_before: unparseable filter value -> false",
                 p("signup", "is_date_before", "someday"), {"signup": "2020-01-01"}, False)
simple_prop_case("is_date_before: non-string filter value (number) -> false",
                 p("signup", "is_date_before", 1767225600), {"signup": "2020-01-01"}, False)
simple_prop_case("is_date_after: boolean property -> false",
                 p("signup", "is_date_after", "2020-01-01"), {"signup": True}, False)
simple_prop_case("is_date_exact: same instant in different offsets -> true",
                 p("signup", "is_date_exact", "2026-01-01T00:00:00Z"),
                 {"signup": "2026-01-01T01:00:00+01:00"}, True)
case("relative -1m from 2026-03-31 clamps to 2026-02-28T12:00Z; property 13:00 is after",
     flag("prop-flag", [cond([p("d", "is_date_after", "-1m")])]),
     req("user_1", {"d": "2026-02-28T13:00:00Z"}), now="2026-03-31T12:00:00Z", expect={"enabled": True})
case("relative -2m from 2026-03-31 steps month by month -> 2026-01-28T12:00Z (not Jan 31); property Jan 30 is after",
     flag("prop-flag", [cond([p("d", "is_date_after", "-2m")])]),
     req("user_1", {"d": "2026-01-30T00:00:00Z"}), now="2026-03-31T12:00:00Z", expect={"enabled": True})
case("relative -1y from 2028-02-29 -> 2027-02-28T12:00Z; property 2027-02-28T11:00Z is before",
     flag("prop-flag", [cond([p("d", "is_date_before", "-1y")])]),
     req("user_1", {"d": "2027-02-28T11:00:00Z"}), now="2028-02-29T12:00:00Z", expect={"enabled": True})

# several filters in one condition are AND-ed
case("two filters AND-ed: both match",
     flag("and-flag", [cond([p("plan", "exact", "pro"), p("age", "gte", 21)])]),
     req("user_1", {"plan": "pro", "age": 30}), expect={"enabled": True})
case("two filters AND-ed: second fails",
     flag("and-flag", [cond([p("plan", "exact", "pro"), p("age", "gte", 21)])]),
     req("user_1", {"plan": "pro", "age": 20}), expect={"enabled": False, "reason": "no_condition_match"})

# ---------------------------------------------------------------------------
# 6. Cohorts
# ---------------------------------------------------------------------------
C_EMAIL = {"42": {"type": "OR", "values": [{"type": "AND", "values": [
    p("email", "icontains", "@example.com")]}]}}
case("cohort in: member via icontains email",
     flag("cohort-flag", [cond([cohort_ref(42)])]), req("user_1", {"email": "a@EXAMPLE.com"}),
     cohorts=C_EMAIL, expect={"enabled": True})
case("cohort in (explicit operator): not a member -> no_condition_match",
     flag("cohort-flag", [cond([cohort_ref(42, "in")])]), req("user_1", {"email": "a@other.com"}),
     cohorts=C_EMAIL, expect={"enabled": False, "reason": "no_condition_match"})
case("cohort not_in: not a member -> enabled",
     flag("cohort-flag", [cond([cohort_ref(42, "not_in")])]), req("user_1", {"email": "a@other.com"}),
     cohorts=C_EMAIL, expect={"enabled": True})
case("cohort not_in: member -> no_condition_match",
     flag("cohort-flag", [cond([cohort_ref(42, "not_in")])]), req("user_1", {"email": "a@example.com"}),
     cohorts=C_EMAIL, expect={"enabled": False})
case("cohort not_in: property missing -> not a member -> enabled",
     flag("cohort-flag", [cond([cohort_ref(42, "not_in")])]), req("user_1"),
     cohorts=C_EMAIL, expect={"enabled": True})
C_NESTED = {"7": {"type": "OR", "values": [
    {"type": "AND", "values": [p("plan", "exact", "pro"), p("age", "gte", 18)]},
    {"type": "AND", "values": [p("country", "exact", ["DE", "FR"])]}]}}
case("cohort OR of AND groups: first group matches",
     flag("cohort-nested", [cond([cohort_ref(7)])]), req("u", {"plan": "pro", "age": 20}),
     cohorts=C_NESTED, expect={"enabled": True})
case("cohort OR of AND groups: second group matches",
     flag("cohort-nested", [cond([cohort_ref(7)])]), req("u", {"plan": "free", "country": "fr"}),
     cohorts=C_NESTED, expect={"enabled": True})
case("cohort OR of AND groups: neither group",
     flag("cohort-nested", [cond([cohort_ref(7)])]), req("u", {"plan": "pro", "age": 15, "country": "US"}),
     cohorts=C_NESTED, expect={"enabled": False})
C_AND = {"8": {"type": "AND", "values": [
    {"type": "OR", "values": [p("plan", "exact", "pro"), p("plan", "exact", "team")]},
    {"type": "AND", "values": [p("email", "icontains", "@corp.com")]}]}}
case("cohort top-level AND of OR + AND groups: both satisfied",
     flag("cohort-and", [cond([cohort_ref(8)])]), req("u", {"plan": "team", "email": "x@corp.com"}),
     cohorts=C_AND, expect={"enabled": True})
case("cohort top-level AND: OR group satisfied, AND group not",
     flag("cohort-and", [cond([cohort_ref(8)])]), req("u", {"plan": "team", "email": "x@home.com"}),
     cohorts=C_AND, expect={"enabled": False})
C_NEG = {"9": {"type": "AND", "values": [{"type": "AND", "values": [
    p("email", "icontains", "@corp.com"), p("role", "exact", "intern", negation=True)]}]}}
case("cohort negation in AND group: role != intern -> member",
     flag("cohort-neg", [cond([cohort_ref(9)])]), req("u", {"email": "a@corp.com", "role": "eng"}),
     cohorts=C_NEG, expect={"enabled": True})
case("cohort negation in AND group: role == intern -> not member",
     flag("cohort-neg", [cond([cohort_ref(9)])]), req("u", {"email": "a@corp.com", "role": "intern"}),
     cohorts=C_NEG, expect={"enabled": False})
case("cohort negation: negated exact on MISSING property -> true (false negated)",
     flag("cohort-neg", [cond([cohort_ref(9)])]), req("u", {"email": "a@corp.com"}),
     cohorts=C_NEG, expect={"enabled": True})
C_NEG_OR = {"10": {"type": "OR", "values": [{"type": "OR", "values": [
    p("plan", "exact", "pro"), p("country", "exact", "US", negation=True)]}]}}
case("cohort negation in OR group: negated filter satisfies the OR",
     flag("cohort-neg-or", [cond([cohort_ref(10)])]), req("u", {"plan": "free", "country": "DE"}),
     cohorts=C_NEG_OR, expect={"enabled": True})
case("cohort negation in OR group: nothing satisfies",
     flag("cohort-neg-or", [cond([cohort_ref(10)])]), req("u", {"plan": "free", "country": "US"}),
     cohorts=C_NEG_OR, expect={"enabled": False})
C_REF = {
    "20": {"type": "AND", "values": [{"type": "AND", "values": [
        p("email", "icontains", "@corp.com"), cohort_ref(21, negation=True)]}]},
    "21": {"type": "OR", "values": [{"type": "OR", "values": [p("role", "exact", "contractor")]}]},
}
case("cohort referencing cohort with negation (AND group): not in 21 -> member of 20",
     flag("cohort-ref", [cond([cohort_ref(20)])]), req("u", {"email": "a@corp.com", "role": "eng"}),
     cohorts=C_REF, expect={"enabled": True})
case("cohort referencing cohort with negation (AND group): in 21 -> not member of 20",
     flag("cohort-ref", [cond([cohort_ref(20)])]), req("u", {"email": "a@corp.com", "role": "contractor"}),
     cohorts=C_REF, expect={"enabled": False})
C_REF_OR = {
    "30": {"type": "OR", "values": [{"type": "OR", "values": [
        p("plan", "exact", "enterprise"), cohort_ref(31, negation=True)]}]},
    "31": {"type": "OR", "values": [{"type": "OR", "values": [p("role", "exact", "admin")]}]},
}
case("cohort reference inside OR group ignores negation: in 31 -> member of 30",
     flag("cohort-ref-or", [cond([cohort_ref(30)])]), req("u", {"plan": "free", "role": "admin"}),
     cohorts=C_REF_OR, expect={"enabled": True})
case("unknown cohort id -> failed, dependency_not_found_cohort, index null",
     flag("cohort-missing", [cond([cohort_ref(999)])], payloads={"true": "1"}), req("u"),
     cohorts=C_EMAIL,
     expect={"enabled": False, "failed": True, "reason": "dependency_not_found_cohort",
             "condition_index": None, "payload": None})
case("unknown cohort id but a person filter in the same condition fails first -> no_condition_match",
     flag("cohort-missing", [cond([cohort_ref(999), p("plan", "exact", "pro")])]), req("u", {"plan": "free"}),
     cohorts=C_EMAIL, expect={"enabled": False, "failed": False, "reason": "no_condition_match"})
case("cohort depending on unknown cohort -> failed dependency_not_found_cohort",
     flag("cohort-missing-dep", [cond([cohort_ref(50)])]), req("u", {"plan": "pro"}),
     cohorts={"50": {"type": "AND", "values": [{"type": "AND", "values": [cohort_ref(51)]}]}},
     expect={"failed": True, "reason": "dependency_not_found_cohort"})
case("cohort with is_not_set on missing property -> member",
     flag("cohort-notset", [cond([cohort_ref(60)])]), req("u"),
     cohorts={"60": {"type": "AND", "values": [{"type": "AND", "values": [
         p("unsubscribed", "is_not_set", "is_not_set")]}]}},
     expect={"enabled": True})
case("cohort with empty values and top type OR -> not a member",
     flag("cohort-empty", [cond([cohort_ref(61)])]), req("u"),
     cohorts={"61": {"type": "OR", "values": []}}, expect={"enabled": False})
case("cohort with empty values and top type AND -> member",
     flag("cohort-empty", [cond([cohort_ref(62)])]), req("u"),
     cohorts={"62": {"type": "AND", "values": []}}, expect={"enabled": True})
case("cohort match then rollout applies: member but rollout 0 -> out_of_rollout_bound",
     flag("cohort-rollout", [cond([cohort_ref(42)], 0)]), req("user_1", {"email": "a@example.com"}),
     cohorts=C_EMAIL, expect={"enabled": False, "reason": "out_of_rollout_bound"})

# ---------------------------------------------------------------------------
# 7. Group flags
# ---------------------------------------------------------------------------
GP = [p("plan", "exact", "enterprise", type="group", group_type_index=0)]
case("group flag: group property matches",
     flag("group-props", [cond(GP)], agg=0),
     req("user_1", groups={"company": "acme-inc"}, group_props={"company": {"plan": "Enterprise"}}),
     gtm=COMPANY, expect={"enabled": True})
case("group flag: group property differs -> no_condition_match",
     flag("group-props", [cond(GP)], agg=0),
     req("user_1", groups={"company": "acme-inc"}, group_props={"company": {"plan": "free"}}),
     gtm=COMPANY, expect={"enabled": False, "reason": "no_condition_match"})
case("group flag: person_properties are NOT used for a group-typed filter",
     flag("group-props", [cond(GP)], agg=0),
     req("user_1", {"plan": "enterprise"}, groups={"company": "acme-inc"}),
     gtm=COMPANY, expect={"enabled": False})
case("group flag: legacy group filter without group_type_index uses the flag's aggregation",
     flag("group-props", [cond([p("plan", "exact", "enterprise", type="group")])], agg=0),
     req("user_1", groups={"company": "acme-inc"}, group_props={"company": {"plan": "enterprise"}}),
     gtm=COMPANY, expect={"enabled": True})
case("group flag: person-typed filter inside group condition reads person properties",
     flag("group-mixed", [cond([p("email", "icontains", "@acme.com")])], agg=0),
     req("user_1", {"email": "a@acme.com"}, groups={"company": "acme-inc"}),
     gtm=COMPANY, expect={"enabled": True})
expect_hash("group-flag", "123", 0.13464, 0.13465)
expect_hash("group-flag", "acme-inc", 0.44297, 0.44298)
expect_hash("group-mv", "acme-inc", 0.93010, 0.93011, "variant")
case("group flag: numeric group key 123 hashed as \"123\" (h=0.13464) at 20% -> enabled",
     flag("group-flag", [cond(rollout=20)], agg=0), req("user_1", groups={"company": 123}),
     gtm=COMPANY, expect={"enabled": True})
case("group flag: empty-string group key -> no_group_type",
     flag("group-flag", [cond(rollout=100)], agg=0), req("user_1", groups={"company": ""}),
     gtm=COMPANY, expect={"enabled": False, "reason": "no_group_type", "condition_index": 0})
case("group flag: group key null -> no_group_type",
     flag("group-flag", [cond(rollout=100)], agg=0), req("user_1", groups={"company": None}),
     gtm=COMPANY, expect={"enabled": False, "reason": "no_group_type"})
case("group flag: aggregation index missing from group_type_mapping -> no_group_type",
     flag("group-flag", [cond(rollout=100)], agg=1), req("user_1", groups={"company": "acme-inc"}),
     gtm=COMPANY, expect={"enabled": False, "reason": "no_group_type"})
case("group flag: other group type provided only -> no_group_type",
     flag("group-flag", [cond(rollout=100)], agg=0), req("user_1", groups={"project": "p1"}),
     gtm={"0": "company", "1": "project"}, expect={"enabled": False, "reason": "no_group_type"})
case("group flag: rollout hashed on group key not distinct_id (acme-inc h=0.44298 at 44%) -> out_of_rollout_bound",
     flag("group-flag", [cond(rollout=44)], agg=0), req("user_1", groups={"company": "acme-inc"}),
     gtm=COMPANY, expect={"enabled": False, "reason": "out_of_rollout_bound"})
case("group flag multivariate: variant hashed on group key (vh=0.93011) -> last variant",
     flag("group-mv", [cond()], variants(("one", 50), ("two", 40), ("three", 10)), agg=0),
     req("user_1", groups={"company": "acme-inc"}), gtm=COMPANY, expect={"variant": "three"})
case("person flag with per-condition group aggregation: cond0 group (no group sent) skipped, cond1 person matches",
     flag("per-cond-agg", [cond(agg=0), cond([p("plan", "exact", "pro")])]),
     req("user_1", {"plan": "pro"}), gtm=COMPANY, expect={"enabled": True, "condition_index": 1})
case("group flag with per-condition person aggregation (null): no group needed",
     flag("per-cond-person", [cond(GP), cond([p("plan", "exact", "pro")], agg=None)], agg=0),
     req("user_1", {"plan": "pro"}), gtm=COMPANY, expect={"enabled": True, "condition_index": 1})
case("person flag with a group-typed filter (group_type_index 0) reads request group_properties",
     flag("person-with-group-filter", [cond(GP)]),
     req("user_1", group_props={"company": {"plan": "enterprise"}}), gtm=COMPANY,
     expect={"enabled": True})

# ---------------------------------------------------------------------------
# 8. Distinct ids
# ---------------------------------------------------------------------------
h = expect_hash("unicode-flag", "用户-ü-🙂", 0.0196, 0.0197)
case("unicode distinct_id '用户-ü-🙂' h=%.6f (UTF-8 hashed) at 2%% -> enabled" % h,
     flag("unicode-flag", [cond(rollout=2)]), req("用户-ü-🙂"), expect={"enabled": True})
case("unicode distinct_id '用户-ü-🙂' h=%.6f at 1%% -> out_of_rollout_bound" % h,
     flag("unicode-flag", [cond(rollout=1)]), req("用户-ü-🙂"), expect={"enabled": False})
h = expect_hash("unicode-flag", "ÄÖÜ", 0.4102, 0.4103)
case("unicode distinct_id 'ÄÖÜ' h=%.6f at 41%% -> out_of_rollout_bound" % h,
     flag("unicode-flag", [cond(rollout=41)]), req("ÄÖÜ"), expect={"enabled": False})
case("empty distinct_id: identifier '' hashes to 0.0 -> enabled at 50%",
     flag("empty-id-flag", [cond(rollout=50)]), req(""), expect={"enabled": True})
case("empty distinct_id: hash 0.0 <= 0/100 -> enabled even at rollout 0",
     flag("empty-id-flag", [cond(rollout=0)]), req(""), expect={"enabled": True})
case("empty distinct_id: variant hash 0.0 -> first variant",
     flag("empty-id-flag", [cond()], variants(("first", 50), ("second", 50))), req(""),
     expect={"variant": "first"})
expect_hash("eec-flag", "user_0", 0.5, 1)
expect_hash("eec-flag", "anon_1", 0, 0.5)
case("experience continuity: bucket on $anon_distinct_id anon_1 (h=0.25640) not user_0 (h=0.64513)",
     flag("eec-flag", [cond(rollout=50)], eec=True),
     req("user_0", **{"$anon_distinct_id": "anon_1"}), expect={"enabled": True})
case("experience continuity off: $anon_distinct_id ignored -> user_0 h=0.64513 out of 50%",
     flag("eec-flag", [cond(rollout=50)], eec=False),
     req("user_0", **{"$anon_distinct_id": "anon_1"}), expect={"enabled": False})


def main():
    names = [c["name"] for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, dup
    # One case a line: diffs name the cases that changed, and the file stays short.
    out = "[\n" + ",\n".join(json.dumps(c, ensure_ascii=False) for c in CASES) + "\n]\n"
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json")
    if "--check" in sys.argv:
        with open(path, encoding="utf-8") as f:
            if f.read() != out:
                print("cases.json is out of date; run python3 generate.py", file=sys.stderr)
                sys.exit(1)
        print("cases.json up to date (%d cases)" % len(CASES))
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(out)
    print("wrote %d cases to %s" % (len(CASES), path))


if __name__ == "__main__":
    main()
