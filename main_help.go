package main

import (
	"fmt"
	"io"
)

// usage is what `qinqing --help` and `qinqing help` print: every command,
// its flags, and every QINQING_* variable with its default. The README's
// Configuration table says the same at more length.
const usage = `qinqing — 亲清政商服务 (Ningbo's closed loop between government and enterprises)

Usage:
  qinqing [-config FILE] [serve]        serve the API and the console (the default command)
  qinqing [-config FILE] seed [flags]   write demo data into the configured database
  qinqing [-config FILE] audit verify   check every case's tamper-evident timeline
                                        (exit status 1 when a chain is broken)
  qinqing [-config FILE] admin reset-password USER
                                        give USER a new one-time password (printed
                                        once, to be changed at the next sign-in)
                                        and end the account's sessions
  qinqing help | -h | --help            this text

Global flag:
  -config FILE   YAML configuration file (default: QINQING_CONFIG, else
                 configs/config.yaml if present, else the embedded default)

seed flags (a small demo by default; the benchmark's size is -requests 1000000):
  -requests N      enterprise requests to write (default 2000)
  -leads N         leads to write (default 200)
  -enterprises N   enterprises, one enterprise account each (default 200)
  -months N        months before now that the data spreads over (default 18)
  -password P      password of every seeded account
                   (default: QINQING_SEED_PASSWORD, else seed-password-1)

Environment (each overrides the configuration file's key):
  QINQING_CONFIG             configuration file                          (default: see -config)
  QINQING_ADDR               listen address                              (default :8080)
  QINQING_DATA_DIR           SQLite file and generated JWT secret;
                             made 0700, its files 0600                   (default data)
  QINQING_DB_DRIVER          sqlite or mysql                             (default sqlite)
  QINQING_DB_DSN             database DSN; required for mysql            (default file:data/qinqing.db?…)
  QINQING_DB_MAX_OPEN_CONNS  connection pool size                        (default 16)
  QINQING_ADMIN_PASSWORD     password of admin when it is created;
                             ignored (and logged) once admin exists      (default: generated, printed once)
  QINQING_JWT_SECRET         HS256 key, ≥ 32 characters; required on
                             mysql                                       (default: generated under the data dir)
  QINQING_TOKEN_TTL          access-token lifetime, at most 15m          (default 15m)
  QINQING_SCAN_INTERVAL      deadline scanner period                     (default 1m)
  QINQING_CREDENTIAL_CACHE   how long a token's account read is trusted,
                             0 to 1m                                     (default 1s)
  QINQING_RATE_LIMIT         requests/s per account, RATE[:BURST], 0 off (default 20)
  QINQING_DEMO_LIMIT         replaces every deadline limit (demos)       (default: unset)
  QINQING_DUE_SOON           how close a deadline counts as due soon     (default 1wd)
  QINQING_REQUEST_TIMEOUT    bound on one request, database included     (default 10s)
  QINQING_EXPORT_TIMEOUT     bound on one ledger export (.xlsx)          (default 10m)
  QINQING_TRUSTED_PROXIES    proxy addresses/CIDRs, comma-separated      (default: none)
  QINQING_HASH_WAIT          how long a sign-in waits for a hashing slot
                             before 503                                  (default 2s)
  QINQING_METRICS_TOKEN      bearer token for /metrics, ≥ 32 characters (default: unset, loopback only)
  QINQING_LOG_LEVEL          debug, info, warn or error                  (default info)
  QINQING_PPROF              true: pprof on 127.0.0.1:6060               (default false)
  QINQING_FILES_STORE        attachments' store, a gocloud.dev/blob URL
                             (file://…, s3://bucket?endpoint=…)          (default: files/ under the data dir)
  QINQING_FILES_MAX_SIZE     largest upload in bytes                     (default 20971520, 20 MiB)
  QINQING_FILES_ORPHAN_TTL   unreferenced uploads are deleted after      (default 24h)
  QINQING_SMS_URL            SMS gateway for notices (signed JSON POST)  (default: unset, off)
  QINQING_SMS_SECRET         the gateway's signing secret, ≥ 32 characters
  QINQING_SMTP_ADDR          SMTP relay host:port for notices by e-mail  (default: unset, off)
  QINQING_SMTP_FROM          the sender address of those e-mails
  QINQING_SMTP_USERNAME      SMTP user (PLAIN auth), with _PASSWORD      (default: none)
  QINQING_SMTP_PASSWORD      SMTP password
  QINQING_SEED_PASSWORD      password of seeded accounts (seed)          (default seed-password-1)

Limits are written 5wd (working days), 7d (calendar days), 1mo (months) or as a
duration (2s, 90m). More in README.md (Configuration, Security, Deployment).
`

func printUsage(w io.Writer) { fmt.Fprint(w, usage) }
