// Writes user_agents.json: for every user agent of user_agents.txt, the properties posthog-js
// itself reports in a browser sending it (its detectBrowser, detectBrowserVersion, detectOS and
// detectDeviceType from @posthog/core, installed with tests/e2e's pinned posthog-js).
// The user_agent app's test expects the same, except where `expected` overrides a field and
// `why` says why (a server cannot see what the browser's JavaScript sees).
//   cd tests/e2e && npm ci && node ../ingest/vectors/make_user_agents.mjs
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(join(here, '../../sdk/package.json'))
const core = await import(require.resolve('@posthog/core/utils').replace(/\.js$/, '.mjs'))

// What navigator.vendor says in each engine: Apple's WebKit (every iOS browser, Safari), Google's
// Chromium, nothing in Gecko.
const vendorOf = (ua) =>
  /iPhone|iPad|iPod/.test(ua) || (/Macintosh/.test(ua) && /Version\/[\d.]+ Safari/.test(ua))
    ? 'Apple Computer, Inc.'
    : /Chrome\//.test(ua) ? 'Google Inc.' : ''

const overridesPath = join(here, 'user_agent_overrides.json')
const overrides = JSON.parse(readFileSync(overridesPath, 'utf8'))
const lines = readFileSync(join(here, 'user_agents.txt'), 'utf8').split('\n').map((l) => l.trim())
const cases = lines.filter((l) => l && !l.startsWith('#')).map((ua) => {
  const vendor = vendorOf(ua)
  const [os, osVersion] = core.detectOS(ua)
  const posthogJs = {
    $browser: core.detectBrowser(ua, vendor),
    $browser_version: core.detectBrowserVersion(ua, vendor),
    $os: os,
    $os_version: osVersion,
    $device_type: core.detectDeviceType(ua),
  }
  const c = { ua, posthog_js: posthogJs }
  if (overrides[ua]) Object.assign(c, overrides[ua])
  return c
})
writeFileSync(join(here, 'user_agents.json'), '[\n' + cases.map((c) => JSON.stringify(c)).join(',\n') + '\n]\n')
console.log(`${cases.length} user agents`)
