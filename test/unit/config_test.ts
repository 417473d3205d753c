import assert from "node:assert/strict";
import { ConfigError, helpText, loadConfig } from "../../src/config.ts";

Deno.test("defaults give a server on 127.0.0.1:8080 for localhost with an embedded store", () => {
  const config = loadConfig({});
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.port, 8080);
  assert.equal(config.domain, "localhost");
  assert.equal(config.dataPath, "./data/imps.kv");
  assert.equal(config.maxBodyBytes, 262144);
  assert.equal(config.core, "wasm");
  assert.equal(config.secret, undefined);
});

Deno.test("bad values are refused with a message naming the variable", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ IMPS_PORT: "99999" }, /IMPS_PORT/],
    [{ IMPS_DOMAIN: "not a domain" }, /IMPS_DOMAIN/],
    [{ IMPS_TLS_CERT: "cert.pem" }, /IMPS_TLS_CERT and IMPS_TLS_KEY/],
    [{ IMPS_SECRET: "short" }, /IMPS_SECRET/],
    [{ IMPS_DATA: "https://kv.example.com/db/1" }, /IMPS_SECRET is required with a remote store/],
    [{ IMPS_CORE: "java" }, /IMPS_CORE/],
    [{ IMPS_MAX_BODY: "1k" }, /IMPS_MAX_BODY/],
    [{ IMPS_TTL_MIN: "100", IMPS_TTL_MAX: "50" }, /IMPS_TTL_MAX/],
    [{ IMPS_TTL_DEFAULT: "5" }, /IMPS_TTL_DEFAULT/],
    [{ IMPS_PRESENCE_AUTOGRANT: "yes" }, /IMPS_PRESENCE_AUTOGRANT/],
    [{ IMPS_MAX_MESSAGE: "70000" }, /IMPS_MAX_MESSAGE/],
    [{ IMPS_FEDERATION: "on" }, /IMPS_FEDERATION/],
    [{ IMPS_PEERS: "b.example" }, /IMPS_PEERS/],
    [{ IMPS_PEERS: "b.example=ftp://host/ssp" }, /IMPS_PEERS/],
    [{ IMPS_SSP_DENY: "not a domain" }, /IMPS_SSP_DENY/],
    [{ IMPS_SSP_REDIRECT: "node2" }, /IMPS_SSP_REDIRECT/],
    [{ IMPS_SSP_PAIRS: "0" }, /IMPS_SSP_PAIRS/],
    [{ IMPS_HOST: "256.1.1.1" }, /IMPS_HOST/],
    [{ IMPS_HOST: "1.2.3" }, /IMPS_HOST/],
    [{ IMPS_HOST: "my host" }, /IMPS_HOST/],
    [{ IMPS_HOST: "::1::2" }, /IMPS_HOST/],
    [{ IMPS_SHARED_WAKE: "push" }, /IMPS_SHARED_WAKE/],
    [{ IMPS_SHARED_LOOK_MS: "2" }, /IMPS_SHARED_LOOK_MS/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  }
});

Deno.test("shared wake-ups: a watch where the store carries it across instances, looks on a KV file", () => {
  const secret = { IMPS_SECRET: "test-secret-0123456789" };
  const remote = loadConfig({ ...secret, IMPS_DATA: "https://kv.example.com/db/1" });
  assert.deepEqual([remote.sharedWake, remote.sharedLookMs], ["watch", 1_000]);
  const platform = loadConfig(secret, "deploy");
  assert.deepEqual([platform.sharedWake, platform.sharedLookMs], ["watch", 1_000]);
  const file = loadConfig({ IMPS_SHARED: "true" });
  assert.deepEqual([file.sharedWake, file.sharedLookMs], ["look", 50]);
  const chosen = loadConfig({ IMPS_SHARED: "true", IMPS_SHARED_WAKE: "watch" });
  assert.deepEqual([chosen.sharedWake, chosen.sharedLookMs], ["watch", 1_000]);
  const set = loadConfig({ ...secret, IMPS_DATA: "deno-kv:default", IMPS_SHARED_LOOK_MS: "200" });
  assert.deepEqual([set.sharedWake, set.sharedLookMs], ["watch", 200]);
});

Deno.test("IMPS_HOST takes IPv4 and IPv6 addresses and host names", () => {
  for (const host of ["0.0.0.0", "192.168.1.10", "::", "::1", "localhost", "imps.example.com"]) {
    assert.equal(loadConfig({ IMPS_HOST: host }).host, host);
  }
});

Deno.test("--help lists every setting", () => {
  const help = helpText();
  for (
    const name of [
      "IMPS_HOST",
      "IMPS_PORT",
      "IMPS_DOMAIN",
      "IMPS_DATA",
      "IMPS_TLS_CERT",
      "IMPS_TLS_KEY",
      "IMPS_SECRET",
      "IMPS_FEDERATION",
      "IMPS_PEERS",
      "IMPS_SSP_SECRET",
      "IMPS_SSP_PEER_SECRETS",
      "IMPS_SSP_REDIRECT",
      "IMPS_SSP_PAIRS",
    ]
  ) {
    assert.match(help, new RegExp(name));
  }
});

Deno.test("federation settings: static peers, allow and deny lists, secrets per peer", () => {
  const config = loadConfig({
    IMPS_FEDERATION: "true",
    IMPS_PEERS: "b.example=https://imps.b.example:8443/ssp, C.example=http://10.0.0.3:8080/ssp",
    IMPS_SSP_DENY: "spam.example",
    IMPS_SSP_PEER_SECRETS: "b.example=s3cret",
  });
  assert.equal(config.federation, true);
  assert.deepEqual(config.sspPeers, {
    "b.example": "https://imps.b.example:8443/ssp",
    "c.example": "http://10.0.0.3:8080/ssp",
  });
  assert.deepEqual(config.sspAllow, []);
  assert.deepEqual(config.sspDeny, ["spam.example"]);
  assert.deepEqual(config.sspPeerSecrets, { "b.example": "s3cret" });
  assert.equal(config.sspPairs, 2);
  assert.equal(loadConfig({}).federation, false);
});

Deno.test("CIR settings: every channel off by default, each set by its own variable", () => {
  const defaults = loadConfig({});
  assert.equal(defaults.cir.tcp, undefined);
  assert.equal(defaults.cir.http, false);
  assert.equal(defaults.cir.udp, false);
  assert.equal(defaults.cir.websocket, false);
  assert.equal(defaults.sms, undefined);
  assert.equal(defaults.cir.trustMsisdn, false);

  const config = loadConfig({
    IMPS_HOST: "0.0.0.0",
    IMPS_CIR_TCP_PORT: "56789",
    IMPS_CIR_TCP_ADDRESS: "cir.example.com",
    IMPS_CIR_HTTP: "true",
    IMPS_CIR_PUBLIC_URL: "https://imps.example.com/",
    IMPS_CIR_UDP: "true",
    IMPS_CIR_UDP_NETWORKS: "10.0.0.0/8, 192.168.1.0/24",
    IMPS_SMS_URL: "http://127.0.0.1:13013/cgi-bin/sendsms",
    IMPS_SMS_USER: "imps",
    IMPS_SMS_PASSWORD: "secret",
  });
  assert.deepEqual(config.cir.tcp, {
    host: "0.0.0.0",
    port: 56789,
    address: "cir.example.com",
    tls: false,
  });
  assert.equal(config.cir.maxConnections, undefined);
  assert.equal(config.cir.maxPerAddress, 100);
  // The bounds hold for WebSocket connections with STCP off too.
  const websocketOnly = loadConfig({
    IMPS_CIR_WEBSOCKET: "true",
    IMPS_CIR_TCP_MAX: "500",
    IMPS_CIR_TCP_PER_IP: "7",
  }).cir;
  assert.equal(websocketOnly.tcp, undefined);
  assert.equal(websocketOnly.maxConnections, 500);
  assert.equal(websocketOnly.maxPerAddress, 7);
  assert.equal(config.cir.publicUrl, "https://imps.example.com");
  assert.deepEqual(config.cir.udpNetworks, ["10.0.0.0/8", "192.168.1.0/24"]);
  assert.equal(config.sms?.username, "imps");
  assert.equal(config.cir.ttlS, 7200);

  const cases: [Record<string, string>, RegExp][] = [
    [{ IMPS_CIR_TCP_PORT: "70000" }, /IMPS_CIR_TCP_PORT/],
    [{ IMPS_CIR_TCP_PORT: "1", IMPS_CIR_TCP_HOST: "a b" }, /IMPS_CIR_TCP_HOST must be an IP/],
    [{ IMPS_CIR_TCP_TLS: "true", IMPS_CIR_TCP_PORT: "1" }, /IMPS_CIR_TCP_TLS/],
    [{ IMPS_CIR_HTTP: "yes" }, /IMPS_CIR_HTTP/],
    [{ IMPS_CIR_PUBLIC_URL: "imps.example.com" }, /IMPS_CIR_PUBLIC_URL/],
    [{ IMPS_CIR_UDP_NETWORKS: "10.0.0.0/33" }, /IMPS_CIR_UDP_NETWORKS/],
    [{ IMPS_CIR_UDP_NETWORKS: "fe80::/10" }, /IMPS_CIR_UDP_NETWORKS/],
    [{ IMPS_CIR_TTL: "5" }, /IMPS_CIR_TTL/],
    [{ IMPS_SMS_URL: "kannel:13013" }, /IMPS_SMS_URL/],
    [{ IMPS_SMS_TRUST_MSISDN: "1" }, /IMPS_SMS_TRUST_MSISDN/],
  ];
  for (const [env, message] of cases) {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
      JSON.stringify(env),
    );
  }
  for (const name of ["IMPS_CIR_TCP_PORT", "IMPS_CIR_HTTP", "IMPS_SMS_URL", "IMPS_CIR_WEBSOCKET"]) {
    assert.match(helpText(), new RegExp(name));
  }
});

Deno.test("IMPS_PEERS alone turns federation on; with IMPS_FEDERATION=false it is refused", () => {
  const peers = { IMPS_PEERS: "b.example=http://127.0.0.1:8081/" };
  assert.equal(loadConfig(peers).federation, true);
  assert.throws(
    () => loadConfig({ ...peers, IMPS_FEDERATION: "false" }),
    /IMPS_PEERS .*IMPS_FEDERATION is false/,
  );
  assert.deepEqual(
    loadConfig({ ...peers, IMPS_SSP_MD5_PEERS: "Baraza.example" }).sspMd5Peers,
    ["baraza.example"],
  );
});
