/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The C ABI between rlm_isp.c (the FreeRADIUS module, C99) and the C++ core (rlm_isp/core/).
 *
 * FreeRADIUS 3 headers do not compile as C++, and the core must not see FreeRADIUS types, so this
 * boundary carries only plain values: NUL-terminated strings, integers and fixed-size buffers
 * owned by the caller. Rules every function follows:
 *  - it never throws (noexcept in C++; anything caught becomes ISP_FAIL with the reason in the
 *    caller's error buffer, truncated to fit and always NUL-terminated);
 *  - NULL string arguments mean "attribute absent" and are treated like "";
 *  - it is safe to call from several FreeRADIUS worker threads at once on the same handle
 *    (RLM_TYPE_THREAD_SAFE); isp_core_open and isp_core_close are not, and run once per process.
 */
#ifndef ISPBOX_RLM_ISP_ISP_CORE_H
#define ISPBOX_RLM_ISP_ISP_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define ISP_NOEXCEPT noexcept
extern "C" {
#else
#define ISP_NOEXCEPT
#endif

/* Outcome of a call; the shim maps it to an rlm_rcode_t. */
typedef enum isp_code {
  ISP_OK = 0,       /* accepted / done (authorize: password and reply pairs are filled) */
  ISP_REJECT = 1,   /* refuse the request (authorize: reply_message says why, to the user) */
  ISP_NOTFOUND = 2, /* unknown user / NAS: let later modules try, or reject */
  ISP_FAIL = 3      /* internal error (store unavailable, corrupt record, ...): see error */
} isp_code_t;

#define ISP_NAME_MAX 64        /* reply attribute names */
#define ISP_VALUE_MAX 256      /* reply attribute values, passwords, messages */
#define ISP_MAX_REPLY_PAIRS 32 /* reply attributes per Access-Accept */
#define ISP_ERROR_MAX 256      /* suggested size for error buffers */

/* Opaque; one per module instance. */
typedef struct isp_core isp_core_t;

typedef struct isp_core_options {
  /* 1 (the default): an Interim-Update is answered once it is in the accounting journal, a file
   * in state_dir that outlives the process, and committed to LMDB within interim_commit_ms (see
   * core/acct_journal.h). 0: it waits for an fsync'd LMDB commit, as every other packet does. */
  int interim_journal;
  /* How often the journal (and the post-auth log) is committed, in ms; 0: 100. Longer means
   * fewer writes (flash wear) and more to make good after a power cut. */
  uint32_t interim_commit_ms;
} isp_core_options_t;

/* Opens the LMDB state in state_dir read-write (the module writes sessions and usage), and the
 * accounting journal, applying what a killed predecessor left in it. options NULL: defaults.
 * Returns NULL and a reason in err on failure. */
isp_core_t* isp_core_open(const char* state_dir, const isp_core_options_t* options, char* err,
                          size_t errlen) ISP_NOEXCEPT;
/* One line for the server log on how accounting is recorded and what open recovered. */
void isp_core_describe(isp_core_t* core, char* buf, size_t len) ISP_NOEXCEPT;
/* Closes the state; NULL is ignored. No call may be in progress. */
void isp_core_close(isp_core_t* core) ISP_NOEXCEPT;

/* ---- authorize: Access-Request ---- */

/* Only what the policy looks at: every attribute read costs the shim a list walk per request. */
typedef struct isp_auth_request {
  const char* user_name;
  const char* nas_ip;             /* source address of the packet (the NAS as a client) */
  const char* calling_station_id; /* subscriber MAC (PPPoE / hotspot) */
  /* When the server received the packet, Unix seconds; 0: the core reads the clock. The server
   * took it anyway, and a clock read per request showed in the module's profile. */
  int64_t now;
} isp_auth_request_t;

typedef struct isp_pair {
  char name[ISP_NAME_MAX];   /* dictionary name, e.g. "Mikrotik-Rate-Limit" */
  char value[ISP_VALUE_MAX]; /* as FreeRADIUS parses it from text */
} isp_pair_t;

typedef struct isp_auth_result {
  isp_code_t code;
  /* ISP_OK: goes into control:Cleartext-Password, so pap, chap and mschap authenticate. */
  char password[ISP_VALUE_MAX];
  /* ISP_REJECT: sent as Reply-Message (empty: none). */
  char reply_message[ISP_VALUE_MAX];
  /* ISP_FAIL, ISP_REJECT, ISP_NOTFOUND: why, for the server log (never sent). */
  char error[ISP_ERROR_MAX];
  /* ISP_OK: attributes for the Access-Accept, set with ":=" in this order. */
  size_t reply_count;
  isp_pair_t reply[ISP_MAX_REPLY_PAIRS];
} isp_auth_result_t;

/* Fills *result and returns result->code. Not zeroed first (it is 11 KB): its strings start
 * empty and reply_count at 0, and only the first reply_count pairs are meaningful. */
isp_code_t isp_core_authorize(isp_core_t* core, const isp_auth_request_t* request,
                              isp_auth_result_t* result) ISP_NOEXCEPT;

/* ---- accounting: Accounting-Request ---- */

typedef struct isp_acct_request {
  uint32_t status_type; /* Acct-Status-Type: 1 Start, 2 Stop, 3 Interim-Update,
                           7 Accounting-On, 8 Accounting-Off */
  const char* user_name;
  const char* acct_session_id; /* Acct-Session-Id (per NAS) */
  /* Acct-Unique-Session-Id when a policy set one (stock acct_unique); absent, the core computes
   * the stock policy's value from the next four and User-Name, Acct-Session-Id. */
  const char* acct_unique_id;
  const char* nas_address;       /* NAS-IPv6-Address, else NAS-IP-Address, as text */
  const char* nas_identifier;    /* NAS-Identifier */
  const char* nas_port_id;       /* NAS-Port-Id */
  const char* nas_port;          /* NAS-Port, as decimal text */
  const char* nas_ip;            /* source address of the packet */
  const char* framed_ip_address; /* Framed-IP-Address */
  const char* calling_station_id;
  uint32_t session_time;    /* Acct-Session-Time, seconds */
  uint32_t input_octets;    /* Acct-Input-Octets (from the subscriber) */
  uint32_t input_gigawords; /* Acct-Input-Gigawords: bytes = gigawords << 32 | octets */
  uint32_t output_octets;   /* Acct-Output-Octets (to the subscriber) */
  uint32_t output_gigawords;
  uint32_t input_packets;
  uint32_t output_packets;
  uint32_t terminate_cause; /* Acct-Terminate-Cause, 0 = absent */
  int64_t event_timestamp;  /* Event-Timestamp, Unix seconds, 0 = absent */
  uint32_t delay_time;      /* Acct-Delay-Time, seconds */
  const char* class_attr;   /* Class (as sent back by the NAS): its bytes, or the 0x<hex> form */
} isp_acct_request_t;

/* ISP_OK: recorded (the server answers Accounting-Response); ISP_FAIL: not recorded (no answer,
 * the NAS retries); msg says why. */
isp_code_t isp_core_accounting(isp_core_t* core, const isp_acct_request_t* request, char* msg,
                               size_t msglen) ISP_NOEXCEPT;

/* ---- post-auth: the outcome of an Access-Request ---- */

/* Called for every Access-Accept (accepted = 1, reason = the reply's Class: its bytes or the
 * 0x<hex> form) and Access-Reject (accepted = 0, reason from Module-Failure-Message or
 * Reply-Message, may be NULL). received_ms: when the server received the Access-Request, Unix
 * milliseconds (the entry's time); 0: now. On an accept, ISP_REJECT or ISP_FAIL
 * turns it into an Access-Reject (and this is called again with accepted = 0): return ISP_OK for
 * anything that is only recorded. */
isp_code_t isp_core_post_auth(isp_core_t* core, const char* user_name, const char* nas_ip,
                              int accepted, const char* reason, int64_t received_ms, char* err,
                              size_t errlen) ISP_NOEXCEPT;

/* ---- dynamic clients: NAS definitions from the store instead of clients.conf ---- */

/* Looks up the NAS whose RADIUS packets come from src_ip. ISP_OK fills secret, shortname and
 * *require_message_authenticator (0 or 1); ISP_NOTFOUND: not a known NAS (the packet is
 * dropped). */
isp_code_t isp_core_client_lookup(isp_core_t* core, const char* src_ip, char* secret,
                                  size_t secretlen, char* shortname, size_t shortnamelen,
                                  int* require_message_authenticator, char* err,
                                  size_t errlen) ISP_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* ISPBOX_RLM_ISP_ISP_CORE_H */
