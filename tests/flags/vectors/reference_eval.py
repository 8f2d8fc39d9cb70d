#!/usr/bin/env python3
"""Reference evaluator for PostHog server-side feature flags (`/flags`).

Independent Python model of the semantics of PostHog's Rust flags service
(rust/feature-flags/src/flags/flag_matching.rs, properties/property_matching.rs,
properties/relative_date.rs, cohorts/cohort_operations.rs). Used only to
compute the expected results in cases.json. Standard library only.

Entry point: evaluate(case) -> {"enabled", "variant", "reason",
"condition_index", "payload", "failed"} where `case` has the keys `flag`,
`group_type_mapping`, `cohorts`, `now`, `request` (see README.md).

Scope: one flag at a time, no stored person/group properties (the request's
person_properties / group_properties are the only ones), project timezone
UTC, no flag dependencies, no super groups / holdouts / early access, no
device_id bucketing, no static cohorts.
"""

import datetime as _dt
import hashlib
import json
import math
import re

__all__ = ["evaluate", "calculate_hash", "flag_hash", "match_property",
           "FlagEvalError", "Unsupported"]

LONG_SCALE = 0xFFFFFFFFFFFFFFF  # 2^60 - 1


class FlagEvalError(Exception):
    """Per-flag evaluation error (the flag is returned with failed=true)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class Unsupported(Exception):
    """Input relies on behaviour this reference does not model (e.g. the Rust
    `dateparser` fallback). generate.py must not produce such cases."""


# ---------------------------------------------------------------------------
# Hashing
# ---------------------------------------------------------------------------

def calculate_hash(prefix, identifier, salt=""):
    """sha1(prefix + identifier + salt); first 60 bits / (2^60-1).

    Rust: u64::from_be_bytes(sha1[..8]) >> 4, then `as f64 / LONG_SCALE as f64`
    (two f64 conversions, then one division) -- reproduced exactly here."""
    digest = hashlib.sha1((prefix + identifier + salt).encode("utf-8")).digest()
    n = int.from_bytes(digest[:8], "big") >> 4
    return float(n) / float(LONG_SCALE)


def flag_hash(flag_key, identifier, salt=""):
    """FeatureFlagMatcher::get_hash: an EMPTY identifier short-circuits to 0.0
    (no sha1 at all), otherwise sha1 of "<key>.<identifier><salt>"."""
    if identifier == "":
        return 0.0
    return calculate_hash(flag_key + ".", identifier, salt)


# ---------------------------------------------------------------------------
# JSON value helpers (serde_json semantics)
# ---------------------------------------------------------------------------

def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _rust_float_str(f):
    """serde_json / ryu formatting of a finite f64 (e.g. 10.0 -> "10.0",
    1e16 -> "1e16", 1e-5 -> "0.00001", 1e-6 -> "1e-6")."""
    if f == 0.0:
        return "-0.0" if math.copysign(1.0, f) < 0 else "0.0"
    r = repr(f)  # shortest round-trip digits, same digit string as ryu
    sign = ""
    if r.startswith("-"):
        sign, r = "-", r[1:]
    if "e" in r:
        mant, exp = r.split("e")
        exp = int(exp)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = (ip + fp).lstrip("0")
    # value = 0.digits... : compute decimal exponent of the digit string
    point = len(ip) + exp  # position of decimal point relative to ip+fp start
    lead_zeros = len(ip + fp) - len((ip + fp).lstrip("0"))
    point -= lead_zeros
    digits = digits.rstrip("0") or "0"
    n = len(digits)
    e = point - n          # value = digits * 10^e
    kk = n + e             # == point
    if 0 <= e and kk <= 16:
        s = digits + "0" * e + ".0"
    elif 0 < kk <= 16:
        s = digits[:kk] + "." + digits[kk:]
    elif -5 < kk <= 0:
        s = "0." + "0" * (-kk) + digits
    elif n == 1:
        s = digits + "e" + str(kk - 1)
    else:
        s = digits[0] + "." + digits[1:] + "e" + str(kk - 1)
    return sign + s


def _json_compact(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _rust_float_str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ",".join(_json_compact(x) for x in v) + "]"
    if isinstance(v, dict):
        # serde_json without preserve_order: keys sorted
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + _json_compact(v[k])
                              for k in sorted(v)) + "}"
    raise TypeError(type(v))


def to_str(v):
    """to_string_representation: JSON strings as-is, everything else as
    compact JSON text (numbers: 10 -> "10", 10.0 -> "10.0"; true -> "true";
    null -> "null")."""
    if isinstance(v, str):
        return v
    return _json_compact(v)


_RUST_F64_RE = re.compile(
    r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$",
    re.IGNORECASE)


def rust_parse_f64(s):
    """str::parse::<f64>(): optional sign, decimal/exponent forms, inf,
    infinity, nan (case-insensitive). No whitespace, no '_', no hex."""
    if not _RUST_F64_RE.match(s):
        return None
    return float(s)


def to_f64(v):
    """to_f64_representation: JSON numbers directly, otherwise parse str(v)."""
    if _is_number(v):
        return float(v)
    return rust_parse_f64(to_str(v))


def _rust_lower(s):
    # str::to_lowercase (full Unicode); Python's str.lower is equivalent for
    # everything the vectors use.
    return s.lower()


def _ascii_lower(s):
    # str::to_ascii_lowercase: only A-Z are folded.
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def _truthy_or_falsy(v):
    if isinstance(v, bool):
        return True
    if isinstance(v, str):
        return v.lower() in ("true", "false")
    if isinstance(v, list):
        return all(_truthy_or_falsy(x) for x in v)  # [] -> True
    return False


def _truthy(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.lower() == "true"
    if isinstance(v, list):
        return all(_truthy(x) for x in v)
    return False


def _exact(value, prop):
    if _truthy_or_falsy(value):
        return _truthy(value) == _truthy(prop)
    if isinstance(value, list):
        target = _rust_lower(to_str(prop))
        return any(_rust_lower(to_str(x)) == target for x in value)
    return _rust_lower(to_str(value)) == _rust_lower(to_str(prop))


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

UTC = _dt.timezone.utc
_RELATIVE_RE = re.compile(r"^-?(?P<number>[0-9]+)(?P<interval>[hdwmy])$")
_RFC3339_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NAIVE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$")


def _last_day(y, m):
    if m == 2:
        return 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28
    return 30 if m in (4, 6, 9, 11) else 31


def parse_relative(s, now):
    """relative_date.rs: ^-?[0-9]+[hdwmy]$ (sign ignored: "7d" == "-7d"),
    number < 10000; h/d/w fixed durations; m and y step back ONE month/year
    at a time, clamping the day to the target month's length at each step."""
    m = _RELATIVE_RE.match(s)
    if not m:
        return None
    n = int(m.group("number"))
    if n >= 10000:
        return None
    unit = m.group("interval")
    if unit == "h":
        return now - _dt.timedelta(hours=n)
    if unit == "d":
        return now - _dt.timedelta(days=n)
    if unit == "w":
        return now - _dt.timedelta(weeks=n)
    r = now
    for _ in range(n):
        if unit == "m":
            y, mo = (r.year - 1, 12) if r.month == 1 else (r.year, r.month - 1)
            d = min(r.day, _last_day(y, mo))
        else:  # "y"
            y, mo = r.year - 1, r.month
            d = min(r.day, _last_day(y, mo)) if mo == 2 else r.day
        if y < 1:
            return None
        r = r.replace(year=y, month=mo, day=d)
    return r


def _frac_to_us(frac):
    if not frac:
        return 0
    digits = frac[1:][:9].ljust(9, "0")
    ns = int(digits)
    if ns % 1000:
        raise Unsupported("sub-microsecond precision")
    return ns // 1000


def parse_date_string(s, now):
    """parse_date_string_in_tz with team timezone UTC."""
    rel = parse_relative(s, now)
    if rel is not None:
        return rel
    m = _RFC3339_RE.match(s)
    if m:
        y, mo, d, hh, mi, ss = (int(x) for x in m.groups()[:6])
        try:
            base = _dt.datetime(y, mo, d, hh, mi, ss, _frac_to_us(m.group(7)))
        except ValueError:
            return None
        off = m.group(8)
        if off in ("Z", "z"):
            return base.replace(tzinfo=UTC)
        sign = 1 if off[0] == "+" else -1
        delta = _dt.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
        return (base - sign * delta).replace(tzinfo=UTC)
    m = _DATE_RE.match(s)
    if m:
        try:
            return _dt.datetime(*(int(x) for x in m.groups()), tzinfo=UTC)
        except ValueError:
            return None
    m = _NAIVE_RE.match(s)
    if m:
        y, mo, d, hh, mi = (int(x) for x in m.groups()[:5])
        ss = int(m.group(6)) if m.group(6) else 0
        try:
            return _dt.datetime(y, mo, d, hh, mi, ss, _frac_to_us(m.group(7)), tzinfo=UTC)
        except ValueError:
            return None
    # Rust falls back to the `dateparser` crate here (naive input => UTC).
    # Strings without any digit cannot be dates for it either.
    if not any(c.isdigit() for c in s):
        return None
    raise Unsupported("date string needs the dateparser fallback: %r" % s)


def _from_timestamp(x):
    if math.isnan(x) or math.isinf(x):
        return None
    whole = math.floor(x)
    frac_ns = round((math.fmod(x, 1.0)) * 1e9)
    if frac_ns % 1000:
        raise Unsupported("sub-microsecond timestamp")
    try:
        return (_dt.datetime(1970, 1, 1, tzinfo=UTC)
                + _dt.timedelta(seconds=whole, microseconds=frac_ns // 1000))
    except OverflowError:
        return None


def parse_property_date(v, now):
    """determine_parsed_date_for_property_matching: a string that parses as
    f64 is an epoch-seconds timestamp; any other string goes through
    parse_date_string (so relative strings work on this side too); a JSON
    number is epoch seconds; anything else -> None."""
    if isinstance(v, str):
        f = rust_parse_f64(v)
        if f is not None:
            return _from_timestamp(f)
        return parse_date_string(v, now)
    if _is_number(v):
        return _from_timestamp(float(v))
    return None


# ---------------------------------------------------------------------------
# Property matching (match_property with partial_props = false)
# ---------------------------------------------------------------------------

_MISSING = object()


def _compile_regex(pattern):
    try:
        return re.compile(pattern)
    except re.error:
        return None


def match_property(filt, props, now):
    """Returns bool. Errors that the Rust service turns into a non-match
    (match_property(..).unwrap_or(false)) are returned as False."""
    key = filt.get("key")
    op = filt.get("operator") or "exact"
    present = key in props
    p = props[key] if present else _MISSING

    if op == "is_set":
        return present
    if op == "is_not_set":
        return not present

    value = filt.get("value")
    if value is None:  # absent or JSON null: no match for value operators
        return False

    if op in ("exact", "is_not"):
        if not present:
            return op == "is_not"
        r = _exact(value, p)
        return r if op == "exact" else not r

    if op in ("icontains", "not_icontains", "starts_with", "not_starts_with",
              "ends_with", "not_ends_with"):
        negated = op.startswith("not_")
        if not present:
            return negated
        hay = _ascii_lower(to_str(p))
        needle = _ascii_lower(to_str(value))
        base = op[4:] if negated else op
        if base == "icontains":
            r = needle in hay
        elif base == "starts_with":
            r = hay.startswith(needle)
        else:
            r = hay.endswith(needle)
        return (not r) if negated else r

    if op in ("regex", "not_regex"):
        if not present:
            return op == "not_regex"
        rx = _compile_regex(to_str(value))
        if rx is None:
            return False  # invalid pattern: false for BOTH regex and not_regex
        found = rx.search(to_str(p)) is not None
        return found if op == "regex" else not found

    if op in ("gt", "gte", "lt", "lte"):
        if not present:
            return False
        lhs = to_f64(p)
        rhs = to_f64(value)
        if lhs is None or rhs is None:
            return False  # ValidationError -> unwrap_or(false)
        return {"gt": lhs > rhs, "gte": lhs >= rhs,
                "lt": lhs < rhs, "lte": lhs <= rhs}[op]

    if op in ("is_date_before", "is_date_after", "is_date_exact"):
        if not present:
            return False
        pd = parse_property_date(p, now)
        if pd is None:
            return False
        if not isinstance(value, str):
            return False
        vd = parse_date_string(value, now)
        if vd is None:
            return False
        if op == "is_date_before":
            return pd < vd
        if op == "is_date_after":
            return pd > vd
        return pd == vd

    if op in ("in", "not_in", "flag_evaluates_to"):
        return False  # ValidationError outside cohort / flag handling
    raise Unsupported("operator not modelled: %r" % op)


# ---------------------------------------------------------------------------
# Cohorts (dynamic, property-based)
# ---------------------------------------------------------------------------

def _cohort_id_of(filt):
    v = filt.get("value")
    if isinstance(v, bool) or not isinstance(v, int):
        return None  # Value::as_i64 only accepts JSON integers
    return v


def _parse_cohort(defn):
    """InnerCohortProperty {type: AND|OR, values: [{type: str, values: [filter]}]}"""
    if not isinstance(defn, dict) or defn.get("type") not in ("AND", "OR"):
        raise FlagEvalError("cohort_filters_parsing_error")
    groups = defn.get("values")
    if not isinstance(groups, list):
        raise FlagEvalError("cohort_filters_parsing_error")
    for g in groups:
        if (not isinstance(g, dict) or not isinstance(g.get("type"), str)
                or not isinstance(g.get("values"), list)):
            raise FlagEvalError("cohort_filters_parsing_error")
        for f in g["values"]:
            if not isinstance(f, dict) or "key" not in f:
                raise FlagEvalError("cohort_filters_parsing_error")
    return defn


def _cohort_deps(defn):
    deps = []
    for g in defn["values"]:
        for f in g["values"]:
            if f.get("type") == "cohort":
                cid = _cohort_id_of(f)
                if cid is None:
                    raise FlagEvalError("cohort_filters_parsing_error")
                deps.append(cid)
    return deps


def _membership(filt, results):
    """apply_cohort_membership_logic for one filter: operator in (default) /
    not_in; any other operator -> False. `negation` is NOT looked at here."""
    cid = _cohort_id_of(filt)
    if cid is None:
        raise FlagEvalError("cohort_filters_parsing_error")
    member = results.get(cid, False)
    op = filt.get("operator") or "in"
    if op == "in":
        return member
    if op == "not_in":
        return not member
    return False


def _eval_cohort_def(defn, props, results, now):
    def eval_group(g):
        gtype = g["type"]
        if gtype == "OR":
            for f in g["values"]:
                if f.get("type") == "cohort":
                    if _membership(f, results):  # negation ignored in OR groups
                        return True
                else:
                    r = match_property(f, props, now)
                    if f.get("negation"):
                        r = not r
                    if r:
                        return True
            return False
        if gtype in ("AND", "property"):
            for f in g["values"]:
                if f.get("type") == "cohort":
                    r = _membership(f, results)
                    if r == bool(f.get("negation")):
                        return False
                else:
                    r = match_property(f, props, now)
                    if f.get("negation"):
                        r = not r
                    if not r:
                        return False
            return True
        raise FlagEvalError("cohort_filters_parsing_error")

    if defn["type"] == "OR":
        return any(eval_group(g) for g in defn["values"])   # [] -> False
    return all(eval_group(g) for g in defn["values"])       # [] -> True


def evaluate_cohort(cohort_id, cohorts, props, now):
    """evaluate_dynamic_cohorts: build the dependency graph (unknown id ->
    dependency_not_found_cohort, cycle -> dependency_cycle_cohort), then
    evaluate dependencies first."""
    defs = {}
    order = []
    state = {}

    def visit(cid):
        key = str(cid)
        if key not in cohorts:
            raise FlagEvalError("dependency_not_found_cohort")
        if state.get(cid) == 1:
            raise FlagEvalError("dependency_cycle_cohort")
        if state.get(cid) == 2:
            return
        state[cid] = 1
        defs[cid] = _parse_cohort(cohorts[key])
        for d in _cohort_deps(defs[cid]):
            visit(d)
        state[cid] = 2
        order.append(cid)

    visit(cohort_id)
    results = {}
    for cid in order:
        results[cid] = _eval_cohort_def(defs[cid], props, results, now)
    return results[cohort_id]


# ---------------------------------------------------------------------------
# Flag evaluation
# ---------------------------------------------------------------------------

SCORES = {
    "super_condition_value": 6,
    "holdout_condition_value": 5,
    "condition_match": 4,
    "out_of_rollout_bound": 3,
    "no_condition_match": 2,
    "no_group_type": 1,
    "flag_disabled": 0,
    "missing_dependency": -1,
}

# populate_missing_initial_properties (flag_matching_utils.rs)
INITIAL_PROPERTY_MAP = {k: "$initial_" + k.lstrip("$") for k in [
    "$app_build", "$app_name", "$app_namespace", "$app_version", "$browser",
    "$browser_version", "$device_type", "$current_url", "$pathname", "$os",
    "$os_version", "$referring_domain", "$referrer", "$screen_height",
    "$screen_width", "$viewport_height", "$viewport_width", "$raw_user_agent",
    "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
    "gclid", "gad_source", "gclsrc", "dclid", "gbraid", "wbraid", "fbclid",
    "msclkid", "twclid", "li_fat_id", "mc_cid", "igshid", "ttclid", "rdt_cid",
    "epik", "qclid", "sccid", "irclid", "_kx"]}


def person_properties(request):
    """Stored properties (none here) + always `distinct_id`, overlaid by the
    request's person_properties (request wins), then missing $initial_*
    filled from their non-initial counterparts."""
    props = {"distinct_id": request.get("distinct_id", "")}
    props.update(request.get("person_properties") or {})
    for k, ik in INITIAL_PROPERTY_MAP.items():
        if k in props and ik not in props:
            props[ik] = props[k]
    return props


def _group_key_value(gtm, groups, gti):
    name = gtm.get(str(gti))
    if name is None:
        return None, None
    return name, groups.get(name, _MISSING)


def _has_group_key(v):
    if isinstance(v, str):
        return v != ""
    return _is_number(v)


def _group_key_str(v):
    if isinstance(v, str):
        return v
    if _is_number(v):
        return to_str(v)
    return ""


def _parse_now(s):
    d = _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.astimezone(UTC)


def _result(enabled, variant, reason, index, payload, failed=False):
    return {"enabled": enabled, "variant": variant, "reason": reason,
            "condition_index": index, "payload": payload, "failed": failed}


def evaluate(case):
    flag = case["flag"]
    gtm = case.get("group_type_mapping") or {}
    cohorts = case.get("cohorts") or {}
    now = _parse_now(case["now"])
    req = case["request"]

    if flag.get("deleted"):
        raise Unsupported("deleted flags are not evaluated (invisible)")
    if not flag.get("active", False):
        # Rust skips inactive flags entirely; hedgerow's contract (4.3 step 1)
        # reports them as flag_disabled.
        return _result(False, None, "flag_disabled", None, None)

    try:
        return _evaluate_active(flag, gtm, cohorts, now, req)
    except FlagEvalError as e:
        return _result(False, None, e.code, None, None, failed=True)


def _evaluate_active(flag, gtm, cohorts, now, req):
    filters = flag.get("filters") or {}
    key = flag["key"]
    flag_gti = filters.get("aggregation_group_type_index")
    variants = ((filters.get("multivariate") or {}).get("variants")) or []
    payloads = filters.get("payloads") or {}
    groups_req = req.get("groups") or {}
    group_props_req = req.get("group_properties") or {}
    pprops = person_properties(req)
    distinct_id = req.get("distinct_id", "")

    def identifier(agg):
        if agg is None:
            if flag.get("ensure_experience_continuity") and req.get("$anon_distinct_id"):
                return req["$anon_distinct_id"]
            return distinct_id
        _, v = _group_key_value(gtm, groups_req, agg)
        return _group_key_str(v) if v is not None and v is not _MISSING else ""

    def group_props(gti):
        name = gtm.get(str(gti))
        if name is None:
            return {}
        return dict(group_props_req.get(name) or {})

    def props_for(filt, agg):
        t = filt.get("type") or "person"
        if t == "person":
            return pprops
        if t == "group":
            gti = filt.get("group_type_index")
            if gti is None:
                gti = agg
            return group_props(gti) if gti is not None else {}
        raise Unsupported("property type not modelled: %r" % t)

    def check_rollout(rollout, agg):
        if rollout == 100.0:
            return True, "condition_match"
        h = flag_hash(key, identifier(agg))
        if h <= rollout / 100.0:
            return True, "condition_match"
        return False, "out_of_rollout_bound"

    def matching_variant(agg):
        h = flag_hash(key, identifier(agg), "variant")
        cumulative = 0.0
        for v in variants:
            cumulative += float(v["rollout_percentage"]) / 100.0
            if h < cumulative:
                return v["key"]
        return None

    def condition_match(cond, agg):
        rollout = cond.get("rollout_percentage")
        rollout = 100.0 if rollout is None else float(rollout)
        props = cond.get("properties")
        if props:
            cohort_filters = []
            for f in props:
                t = f.get("type") or "person"
                if t == "flag":
                    raise Unsupported("flag dependencies not modelled")
                if t == "cohort":
                    cohort_filters.append(f)  # deferred until other filters pass
                    continue
                if not match_property(f, props_for(f, agg), now):
                    return False, "no_condition_match"
            if cohort_filters:
                results = {}
                for f in cohort_filters:
                    cid = _cohort_id_of(f)
                    if cid is None:
                        raise FlagEvalError("cohort_filters_parsing_error")
                    if cid not in results:
                        results[cid] = evaluate_cohort(cid, cohorts, pprops, now)
                for f in cohort_filters:
                    if not _membership(f, results):
                        return False, "no_condition_match"
        return check_rollout(rollout, agg)

    highest, highest_index = "no_group_type", None

    def bump(reason, index):
        nonlocal highest, highest_index
        if SCORES[highest] <= SCORES[reason]:  # ties go to the later condition
            highest, highest_index = reason, index

    for index, cond in enumerate(filters.get("groups") or []):
        if "aggregation_group_type_index" in cond:
            agg = cond["aggregation_group_type_index"]   # explicit (null = person)
        else:
            agg = flag_gti
        if agg is not None:
            _, gk = _group_key_value(gtm, groups_req, agg)
            if gk is None or gk is _MISSING or not _has_group_key(gk):
                bump("no_group_type", index)
                continue
        ok, reason = condition_match(cond, agg)
        bump(reason, index)
        if ok:
            override = cond.get("variant")
            if override is not None and any(v["key"] == override for v in variants):
                variant = override
            else:
                variant = matching_variant(agg)
            payload = payloads.get(variant if variant is not None else "true")
            return _result(True, variant, highest, highest_index, payload)

    return _result(False, None, highest, highest_index, None)


if __name__ == "__main__":
    import sys
    data = json.load(sys.stdin)
    cases = data if isinstance(data, list) else [data]
    for c in cases:
        print(json.dumps(evaluate(c), ensure_ascii=False))
