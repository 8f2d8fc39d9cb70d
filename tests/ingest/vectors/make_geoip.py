#!/usr/bin/env python3
"""Writes geoip.json: for known addresses, the $geoip_* properties the geoip app must set,
read from the pinned GeoLite2 City database (share/GeoLite2-City.mmdb) by libmaxminddb's own
command-line tool, mmdblookup (Debian's mmdb-bin), path by path, independently of our reader.
  apt-get install mmdb-bin && python3 tests/ingest/vectors/make_geoip.py
"""
import json, os, re, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
database = os.path.join(here, '../../../share/GeoLite2-City.mmdb')

# 128.101.101.101 is the geolite2-city package's own README example (Minneapolis); the
# others are MaxMind's test addresses (81.2.69.142, 2.125.160.216, 89.160.20.112, 216.160.83.56,
# 175.16.199.0), public resolvers, and IPv6 addresses.
addresses = ['128.101.101.101', '81.2.69.142', '2.125.160.216', '89.160.20.112', '216.160.83.56',
             '175.16.199.0', '8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '2a03:2880:f10c:83:face:b00c:0:25de',
             '2001:67c:2e8:22::c100:68b']

FIELDS = [('city_name', ['city', 'names', 'en']), ('country_name', ['country', 'names', 'en']),
          ('country_code', ['country', 'iso_code']), ('continent_name', ['continent', 'names', 'en']),
          ('continent_code', ['continent', 'code']), ('postal_code', ['postal', 'code']),
          ('latitude', ['location', 'latitude']), ('longitude', ['location', 'longitude']),
          ('accuracy_radius', ['location', 'accuracy_radius']), ('time_zone', ['location', 'time_zone'])]


def lookup(ip, path):
    run = subprocess.run(['mmdblookup', '--file', database, '--ip', ip] + path, capture_output=True, text=True)
    if run.returncode != 0 or not run.stdout.strip():
        return None
    text = run.stdout.strip()
    m = re.match(r'^"(.*)" <utf8_string>$', text, re.S)
    if m:
        return m.group(1)
    m = re.match(r'^(-?[\d.]+) <(double|uint16|uint32)>$', text)
    if m:
        return float(m.group(1)) if m.group(2) == 'double' else int(m.group(1))
    sys.exit(f'unexpected mmdblookup output for {ip} {path}: {text}')


cases = []
for ip in addresses:
    props = {}
    for key, path in FIELDS:
        value = lookup(ip, path)
        if value is not None:
            props['$geoip_' + key] = value
    for i in range(4):
        code, name = lookup(ip, ['subdivisions', str(i), 'iso_code']), lookup(ip, ['subdivisions', str(i), 'names', 'en'])
        if code is None and name is None:
            break
        if code is not None:
            props[f'$geoip_subdivision_{i + 1}_code'] = code
        if name is not None:
            props[f'$geoip_subdivision_{i + 1}_name'] = name
    cases.append({'ip': ip, 'properties': props})

with open(os.path.join(here, 'geoip.json'), 'w') as f:
    f.write('[\n' + ',\n'.join(json.dumps(c, ensure_ascii=False) for c in cases) + '\n]\n')
print(f'{len(cases)} addresses')
