/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rlm_isp: the FreeRADIUS 3.2 module of ispbox. A thin C shim: it reads request attributes into
 * the plain structs of isp_core.h, calls the C++ core, and turns the result into control / reply
 * attributes and a module return code. No policy lives here.
 *
 * Wiring (scripts/freeradius-config.sh writes it):
 *   authorize   { isp }  isp puts control:Cleartext-Password and claims the request for the
 *                        stock pap, chap or mschap module (control:Auth-Type, as their own
 *                        authorize methods would), which authenticates it;
 *   accounting  { isp }
 *   post-auth   { isp  Post-Auth-Type REJECT { isp } }  the same method sees accepts and rejects
 *                                           (it tells them apart by the reply code);
 *   server <dynamic_clients_server> { authorize { isp } }  when FreeRADIUS runs its dynamic-client
 *      request for an unknown source address through that virtual server, authorize looks the NAS
 *      up in the store and fills control:FreeRADIUS-Client-*, so NASes come from the store, not
 *      clients.conf.
 *
 * Built by rlm_isp/CMakeLists.txt with -include freeradius/build.h, the header overlay and the
 * server's own -DNDEBUG (which changes the layout of REQUEST).
 */
/* radiusd.h first: modules.h needs its types. */
#include <freeradius/radiusd.h>

#include <freeradius/modules.h>

#include <arpa/inet.h>
#include <string.h>

#include "rlm_isp/isp_core.h"

/* A log line's stable identifier (docs/log-messages.md), as the C++ side's ISPBOX_LOG puts it. */
#define ISPBOX_LOG_ID(id) id ": "

#if defined(WITH_NDEBUG) && !defined(NDEBUG)
#error "FreeRADIUS was built with -DNDEBUG and REQUEST's layout depends on it: define NDEBUG"
#endif

/* The attributes authorize adds, resolved in the dictionary once: dict_attrbyname per pair and
 * request cost more than creating the pair. A name not listed still works (fr_pair_make). */
static char const* const known_attr_names[] = {
    "Cleartext-Password",    "Mikrotik-Rate-Limit",
    "Mikrotik-Address-List", "Framed-Pool",
    "Framed-IP-Address",     "Session-Timeout",
    "Mikrotik-Total-Limit",  "Mikrotik-Total-Limit-Gigawords",
    "Acct-Interim-Interval", "Class",
    "Reply-Message"};
#define KNOWN_ATTRS (sizeof known_attr_names / sizeof known_attr_names[0])

/* The Auth-Type values authorize sets, by the names of the authenticate section's subsections
 * ("Auth-Type PAP { pap }"). The server defines them while it loads the virtual servers, so they
 * are looked up on first use. In the order the stock modules' authorize methods would claim a
 * request when listed as "chap mschap pap": CHAP-Password, then MS-CHAP, then User-Password. */
enum { AUTH_CHAP, AUTH_MSCHAP, AUTH_PAP, AUTH_KINDS };
static char const* const auth_type_names[AUTH_KINDS] = {"CHAP", "MS-CHAP", "PAP"};
#define AUTH_TYPE_UNKNOWN (-1)

typedef struct rlm_isp_t {
  char const* state_dir;              /* the LMDB state directory (ispboxd's state.dir) */
  char const* dynamic_clients_server; /* virtual server in which authorize looks up NASes */
  bool message_authenticator;         /* post-auth signs Access-Accept and Access-Reject */
  bool interim_journal;               /* Interim-Updates answered once journaled (isp_core.h) */
  uint32_t interim_commit_interval;   /* ms between the journal's commits (isp_core.h) */
  isp_core_t* core;
  DICT_ATTR const* message_authenticator_da;
  DICT_ATTR const* auth_type_da;
  int auth_type[AUTH_KINDS]; /* auth_type_names' values; AUTH_TYPE_UNKNOWN until resolved
                                (written once, racily but with the same value: __atomic) */
  DICT_ATTR const* known_attrs[KNOWN_ATTRS]; /* known_attr_names resolved; NULL: not in the
                                                dictionary */
} rlm_isp_t;

static const CONF_PARSER module_config[] = {
    {"state_dir",
     FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_REQUIRED | PW_TYPE_NOT_EMPTY, rlm_isp_t, state_dir),
     NULL},
    {"dynamic_clients_server",
     FR_CONF_OFFSET(PW_TYPE_STRING | PW_TYPE_NOT_EMPTY, rlm_isp_t, dynamic_clients_server),
     "dynamic_clients"},
    {"message_authenticator", FR_CONF_OFFSET(PW_TYPE_BOOLEAN, rlm_isp_t, message_authenticator),
     "yes"},
    {"interim_journal", FR_CONF_OFFSET(PW_TYPE_BOOLEAN, rlm_isp_t, interim_journal), "yes"},
    {"interim_commit_interval", FR_CONF_OFFSET(PW_TYPE_INTEGER, rlm_isp_t, interim_commit_interval),
     "100"},
    CONF_PARSER_TERMINATOR};

/* Room for one attribute printed as text. */
typedef struct text_buf {
  char s[ISP_VALUE_MAX];
} text_buf;

/* An IPv4 address (network byte order) as text. Done here: ip_ntoh and vp_prints_value go through
 * inet_ntop and printf, which cost more than the rest of what this module does for a request. */
static char const* format_ipv4(uint32_t addr, text_buf* buf) {
  uint8_t const* b = (uint8_t const*)&addr;
  char* p = buf->s;
  int i;
  for (i = 0; i < 4; i++) {
    unsigned int v = b[i];
    if (v >= 100) *p++ = (char)('0' + v / 100);
    if (v >= 10) *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    *p++ = i < 3 ? '.' : '\0';
  }
  return buf->s;
}

/* An unsigned integer in decimal. */
static char const* format_u32(uint32_t v, text_buf* buf) {
  char tmp[10];
  size_t n = 0, i;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (i = 0; i < n; i++)
    buf->s[i] = tmp[n - 1 - i];
  buf->s[n] = '\0';
  return buf->s;
}

/* The value as text: strings as they are; IPv4 addresses formatted; octets as their bytes when
 * that is unambiguous (no NUL, not starting with "0x": our Class is text), else in FreeRADIUS's
 * 0x<hex> form, which the core decodes back; others printed into buf. */
static char const* vp_text(VALUE_PAIR const* vp, text_buf* buf) {
  switch (vp->da->type) {
  case PW_TYPE_STRING:
    return vp->vp_strvalue;
  case PW_TYPE_IPV4_ADDR:
    return format_ipv4(vp->vp_ipaddr, buf);
  case PW_TYPE_OCTETS:
    if (vp->vp_length < sizeof buf->s && !memchr(vp->vp_octets, '\0', vp->vp_length) &&
        !(vp->vp_length >= 2 && vp->vp_octets[0] == '0' && vp->vp_octets[1] == 'x')) {
      memcpy(buf->s, vp->vp_octets, vp->vp_length);
      buf->s[vp->vp_length] = '\0';
      return buf->s;
    }
    break;
  default:
    break;
  }
  vp_prints_value(buf->s, sizeof buf->s, vp, '\0');
  return buf->s;
}

/* The attribute as text (vp_text), or NULL when absent. */
static char const* attr_text(VALUE_PAIR* list, unsigned int attr, text_buf* buf) {
  VALUE_PAIR* vp = fr_pair_find_by_num(list, attr, 0, TAG_ANY);
  return vp ? vp_text(vp, buf) : NULL;
}

static uint32_t vp_u32(VALUE_PAIR const* vp) {
  switch (vp->da->type) {
  case PW_TYPE_INTEGER:
    return vp->vp_integer;
  case PW_TYPE_DATE:
    return vp->vp_date;
  default:
    return 0;
  }
}

/* When the server received the request, Unix ms (0: unknown, the core reads the clock). */
static int64_t received_ms(REQUEST const* request) {
  struct timeval const* tv = &request->packet->timestamp;
  return tv->tv_sec > 0 ? (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000 : 0;
}

/* The packet's source address as text. */
static char const* packet_src(REQUEST* request, text_buf* buf) {
  fr_ipaddr_t const* ip = &request->packet->src_ipaddr;
  if (ip->af == AF_INET) return format_ipv4(ip->ipaddr.ip4addr.s_addr, buf);
  return ip_ntoh(ip, buf->s, sizeof buf->s);
}

/* Sets vp's value from the core's text. The types the core sends are set directly: parsing them
 * with fr_pair_value_from_str cost more than the rest of authorize's reply (it looks integers up
 * as dictionary value names first, and unescapes strings, which ours never hold). Anything else,
 * and text these do not take (a named value), goes through fr_pair_value_from_str. */
static int set_value(VALUE_PAIR* vp, char const* value) {
  size_t len = strlen(value);

  switch (vp->da->type) {
  case PW_TYPE_STRING:
    fr_pair_value_bstrncpy(vp, value, len);
    return 0;
  case PW_TYPE_OCTETS: /* "0x..." is hex to FreeRADIUS: left to it */
    if (len >= 2 && value[0] == '0' && value[1] == 'x') break;
    fr_pair_value_memcpy(vp, (uint8_t const*)value, len);
    return 0;
  case PW_TYPE_INTEGER: {
    uint64_t n = 0;
    size_t i;
    if (len == 0 || len > 10) break;
    for (i = 0; i < len && value[i] >= '0' && value[i] <= '9'; i++)
      n = n * 10 + (uint64_t)(value[i] - '0');
    if (i < len || n > UINT32_MAX) break;
    vp->vp_integer = (uint32_t)n;
    vp->vp_length = sizeof vp->vp_integer;
    vp->type = VT_DATA;
    return 0;
  }
  case PW_TYPE_IPV4_ADDR: {
    struct in_addr a;
    if (inet_pton(AF_INET, value, &a) != 1) break;
    vp->vp_ipaddr = a.s_addr;
    vp->vp_length = sizeof vp->vp_ipaddr;
    vp->type = VT_DATA;
    return 0;
  }
  default:
    break;
  }
  return fr_pair_value_from_str(vp, value, -1);
}

/* Adds name := value to *vps (allocated in ctx), as fr_pair_make does; NULL on error. */
static VALUE_PAIR* add_pair(rlm_isp_t const* inst, TALLOC_CTX* ctx, VALUE_PAIR** vps,
                            char const* name, char const* value) {
  DICT_ATTR const* da = NULL;
  VALUE_PAIR* vp;
  size_t i;

  for (i = 0; i < KNOWN_ATTRS; i++) {
    if (known_attr_names[i][0] == name[0] && strcmp(known_attr_names[i], name) == 0) {
      da = inst->known_attrs[i];
      break;
    }
  }
  if (!da) return fr_pair_make(ctx, vps, name, value, T_OP_SET);
  vp = fr_pair_afrom_da(ctx, da);
  if (!vp) return NULL;
  vp->op = T_OP_SET;
  if (set_value(vp, value) < 0) {
    fr_pair_list_free(&vp); /* a list of one; talloc_free would make the module need libtalloc */
    return NULL;
  }
  fr_pair_add(vps, vp);
  return vp;
}

static int mod_instantiate(CONF_SECTION* conf, void* instance) {
  rlm_isp_t* inst = instance;
  char err[ISP_ERROR_MAX] = "";
  char note[512] = "";
  isp_core_options_t options;
  size_t i;

  for (i = 0; i < KNOWN_ATTRS; i++)
    inst->known_attrs[i] = dict_attrbyname(known_attr_names[i]);
  inst->message_authenticator_da = dict_attrbyvalue(PW_MESSAGE_AUTHENTICATOR, 0);
  inst->auth_type_da = dict_attrbyvalue(PW_AUTH_TYPE, 0);
  if (!inst->auth_type_da) {
    cf_log_err_cs(conf, "Auth-Type is not in the dictionary");
    return -1;
  }
  for (i = 0; i < AUTH_KINDS; i++)
    inst->auth_type[i] = AUTH_TYPE_UNKNOWN;
  if (inst->message_authenticator && !inst->message_authenticator_da) {
    cf_log_err_cs(conf, "Message-Authenticator is not in the dictionary");
    return -1;
  }

  /* Runs once per process, after the daemon forked (an LMDB environment must not cross a
   * fork); `freeradius -C` runs it too, so it only opens the state. */
  if (inst->interim_commit_interval < 10 || inst->interim_commit_interval > 60000) {
    cf_log_err_cs(conf, "interim_commit_interval must be 10 to 60000 (ms), not %u",
                  inst->interim_commit_interval);
    return -1;
  }
  options.interim_journal = inst->interim_journal ? 1 : 0;
  options.interim_commit_ms = inst->interim_commit_interval;
  inst->core = isp_core_open(inst->state_dir, &options, err, sizeof err);
  if (!inst->core) {
    cf_log_err_cs(conf, "cannot open the ispbox state in \"%s\": %s", inst->state_dir, err);
    return -1;
  }
  isp_core_describe(inst->core, note, sizeof note);
  INFO("rlm_isp: " ISPBOX_LOG_ID("RLM_ISP_ACCOUNTING") "%s", note);
  return 0;
}

static int mod_detach(void* instance) {
  rlm_isp_t* inst = instance;
  isp_core_close(inst->core);
  inst->core = NULL;
  return 0;
}

static rlm_rcode_t client_lookup(rlm_isp_t* inst, REQUEST* request) {
  text_buf src;
  char secret[ISP_VALUE_MAX], shortname[ISP_NAME_MAX], err[ISP_ERROR_MAX];
  int require_ma = 0;
  fr_ipaddr_t const* ip = &request->packet->src_ipaddr;

  packet_src(request, &src);
  switch (isp_core_client_lookup(inst->core, src.s, secret, sizeof secret, shortname,
                                 sizeof shortname, &require_ma, err, sizeof err)) {
  case ISP_OK:
    break;
  case ISP_NOTFOUND:
    RDEBUG2("%s is not a known NAS: %s", src.s, err);
    return RLM_MODULE_NOTFOUND;
  case ISP_REJECT:
    RDEBUG2("NAS %s refused: %s", src.s, err);
    return RLM_MODULE_REJECT;
  case ISP_FAIL:
  default:
    REDEBUG("NAS lookup for %s failed: %s", src.s, err);
    return RLM_MODULE_FAIL;
  }

  /* FreeRADIUS turns these into the client (client_afrom_request, src/main/client.c). */
  if (!pair_make_config(ip->af == AF_INET6 ? "FreeRADIUS-Client-IPv6-Address"
                                           : "FreeRADIUS-Client-IP-Address",
                        src.s, T_OP_SET) ||
      !pair_make_config("FreeRADIUS-Client-Secret", secret, T_OP_SET) ||
      !pair_make_config("FreeRADIUS-Client-Shortname", shortname, T_OP_SET) ||
      !pair_make_config("FreeRADIUS-Client-Require-MA", require_ma ? "yes" : "no", T_OP_SET)) {
    REDEBUG("cannot set the client attributes of %s: %s", src.s, fr_strerror());
    return RLM_MODULE_FAIL;
  }
  RDEBUG2("NAS %s is \"%s\" (require Message-Authenticator: %s)", src.s, shortname,
          require_ma ? "yes" : "no");
  return RLM_MODULE_UPDATED;
}

/* Sets control:Auth-Type to the method `kind`, unless something before us set one (EAP, say),
 * as the stock module's authorize would; nothing when the authenticate section has no such
 * subsection (the request is then rejected, as it would be without the stock module). */
static void claim_request(rlm_isp_t* inst, REQUEST* request, int kind) {
  VALUE_PAIR* vp;
  int value = __atomic_load_n(&inst->auth_type[kind], __ATOMIC_RELAXED);

  if (fr_pair_find_by_num(request->config, PW_AUTH_TYPE, 0, TAG_ANY)) {
    RDEBUG2("Auth-Type already set: not setting it to %s", auth_type_names[kind]);
    return;
  }
  if (value == AUTH_TYPE_UNKNOWN) {
    DICT_VALUE const* dv = dict_valbyname(PW_AUTH_TYPE, 0, auth_type_names[kind]);
    if (!dv) {
      RWDEBUG("no \"Auth-Type %s\" in the authenticate section: not setting Auth-Type",
              auth_type_names[kind]);
      return;
    }
    value = dv->value;
    __atomic_store_n(&inst->auth_type[kind], value, __ATOMIC_RELAXED);
  }
  vp = fr_pair_afrom_da(request, inst->auth_type_da);
  if (!vp) {
    REDEBUG("cannot set Auth-Type: %s", fr_strerror());
    return;
  }
  vp->op = T_OP_SET;
  vp->vp_integer = (uint32_t)value;
  vp->vp_length = sizeof vp->vp_integer;
  vp->type = VT_DATA;
  fr_pair_add(&request->config, vp);
}

static rlm_rcode_t CC_HINT(nonnull) mod_authorize(void* instance, REQUEST* request) {
  rlm_isp_t* inst = instance;
  VALUE_PAIR const* vp;
  text_buf user, src, calling;
  isp_auth_request_t req = {NULL, NULL, NULL, 0};
  isp_auth_result_t res;
  rlm_rcode_t rcode = RLM_MODULE_OK;
  int kind = AUTH_KINDS; /* none of ours: no password to check */
  int mschap_challenge = 0, mschap_response = 0;
  size_t i;

  if (request->server && strcmp(request->server, inst->dynamic_clients_server) == 0) {
    return client_lookup(inst, request);
  }

  /* One walk over the request for everything read here (the first of each attribute counts, as
   * fr_pair_find_by_num would find it). */
  for (vp = request->packet->vps; vp; vp = vp->next) {
    if (vp->da->vendor == VENDORPEC_MICROSOFT) {
      if (vp->da->attr == PW_MSCHAP_CHALLENGE) mschap_challenge = 1;
      if (vp->da->attr == PW_MSCHAP_RESPONSE || vp->da->attr == PW_MSCHAP2_RESPONSE)
        mschap_response = 1;
      continue;
    }
    if (vp->da->vendor != 0) continue;
    switch (vp->da->attr) {
    case PW_USER_NAME:
      if (!req.user_name) req.user_name = vp_text(vp, &user);
      break;
    case PW_CALLING_STATION_ID:
      if (!req.calling_station_id) req.calling_station_id = vp_text(vp, &calling);
      break;
    case PW_CHAP_PASSWORD:
      kind = AUTH_CHAP;
      break;
    case PW_USER_PASSWORD:
      if (kind == AUTH_KINDS) kind = AUTH_PAP;
      break;
    default:
      break;
    }
  }
  if (kind != AUTH_CHAP && mschap_challenge && mschap_response) kind = AUTH_MSCHAP;
  req.nas_ip = packet_src(request, &src);
  req.now = received_ms(request) / 1000;
  if (!req.user_name) {
    RDEBUG2("no User-Name: not ours");
    return RLM_MODULE_NOOP;
  }

  switch (isp_core_authorize(inst->core, &req, &res)) {
  case ISP_OK:
    break;
  case ISP_NOTFOUND:
    RDEBUG2("\"%s\": %s", req.user_name, res.error);
    return RLM_MODULE_NOTFOUND;
  case ISP_REJECT:
    REDEBUG("\"%s\" rejected: %s", req.user_name, res.error);
    if (res.reply_message[0] &&
        !add_pair(inst, request->reply, &request->reply->vps, "Reply-Message", res.reply_message)) {
      RWARN("cannot set Reply-Message: %s", fr_strerror());
    }
    return RLM_MODULE_REJECT;
  case ISP_FAIL:
  default:
    REDEBUG("authorize \"%s\" failed: %s", req.user_name, res.error);
    return RLM_MODULE_FAIL;
  }

  if (res.password[0]) {
    if (!add_pair(inst, request, &request->config, "Cleartext-Password", res.password)) {
      REDEBUG("cannot set Cleartext-Password: %s", fr_strerror());
      return RLM_MODULE_FAIL;
    }
    rcode = RLM_MODULE_UPDATED;
  }
  if (kind != AUTH_KINDS) claim_request(inst, request, kind);
  for (i = 0; i < res.reply_count && i < ISP_MAX_REPLY_PAIRS; i++) {
    isp_pair_t const* p = &res.reply[i];
    if (!add_pair(inst, request->reply, &request->reply->vps, p->name, p->value)) {
      RWARN("skipping reply attribute %s = \"%s\": %s", p->name, p->value, fr_strerror());
      continue;
    }
    rcode = RLM_MODULE_UPDATED;
  }
  return rcode;
}

/* The rcode for what the core answered, in accounting and post-auth (authorize has its own:
 * there not found is a verdict, and an accept carries attributes). */
static rlm_rcode_t rcode_of(REQUEST* request, char const* what, isp_code_t code, char const* msg) {
  switch (code) {
  case ISP_OK:
    return RLM_MODULE_OK;
  case ISP_NOTFOUND:
    RDEBUG2("%s: %s", what, msg);
    return RLM_MODULE_NOOP;
  case ISP_REJECT:
    REDEBUG("%s refused: %s", what, msg);
    return RLM_MODULE_REJECT;
  case ISP_FAIL:
  default:
    REDEBUG("%s failed: %s", what, msg);
    return RLM_MODULE_FAIL;
  }
}

static rlm_rcode_t CC_HINT(nonnull) mod_accounting(void* instance, REQUEST* request) {
  rlm_isp_t* inst = instance;
  VALUE_PAIR const* vp;
  text_buf src, framed_ip, cls, nas_ip4, nas_ip6, nas_port;
  isp_acct_request_t req;
  char const* nas_ipv4 = NULL;
  char const* nas_ipv6 = NULL;
  char msg[ISP_ERROR_MAX] = "";
  /* The first of each attribute counts, as fr_pair_find_by_num would find it. */
  uint32_t seen = 0;
#define FIRST(bit) (!(seen & (1u << (bit))) && (seen |= 1u << (bit)))

  memset(&req, 0, sizeof req);
  req.nas_ip = packet_src(request, &src);
  /* One walk over the list instead of one search per attribute (an interim carries ~20). */
  for (vp = request->packet->vps; vp; vp = vp->next) {
    if (vp->da->vendor != 0) continue;
    switch (vp->da->attr) {
    case PW_ACCT_STATUS_TYPE:
      if (FIRST(0)) req.status_type = vp_u32(vp);
      break;
    case PW_USER_NAME:
      if (FIRST(1)) req.user_name = vp->da->type == PW_TYPE_STRING ? vp->vp_strvalue : NULL;
      break;
    case PW_ACCT_SESSION_ID:
      if (FIRST(2)) req.acct_session_id = vp->da->type == PW_TYPE_STRING ? vp->vp_strvalue : NULL;
      break;
    case PW_ACCT_UNIQUE_SESSION_ID: /* when a policy set it (stock acct_unique); else the core */
      if (FIRST(3)) req.acct_unique_id = vp->da->type == PW_TYPE_STRING ? vp->vp_strvalue : NULL;
      break;
    case PW_FRAMED_IP_ADDRESS:
      if (FIRST(4)) req.framed_ip_address = vp_text(vp, &framed_ip);
      break;
    case PW_CALLING_STATION_ID:
      if (FIRST(5))
        req.calling_station_id = vp->da->type == PW_TYPE_STRING ? vp->vp_strvalue : NULL;
      break;
    case PW_ACCT_SESSION_TIME:
      if (FIRST(6)) req.session_time = vp_u32(vp);
      break;
    case PW_ACCT_INPUT_OCTETS:
      if (FIRST(7)) req.input_octets = vp_u32(vp);
      break;
    case PW_ACCT_INPUT_GIGAWORDS:
      if (FIRST(8)) req.input_gigawords = vp_u32(vp);
      break;
    case PW_ACCT_OUTPUT_OCTETS:
      if (FIRST(9)) req.output_octets = vp_u32(vp);
      break;
    case PW_ACCT_OUTPUT_GIGAWORDS:
      if (FIRST(10)) req.output_gigawords = vp_u32(vp);
      break;
    case PW_ACCT_INPUT_PACKETS:
      if (FIRST(11)) req.input_packets = vp_u32(vp);
      break;
    case PW_ACCT_OUTPUT_PACKETS:
      if (FIRST(12)) req.output_packets = vp_u32(vp);
      break;
    case PW_ACCT_TERMINATE_CAUSE:
      if (FIRST(13)) req.terminate_cause = vp_u32(vp);
      break;
    case PW_EVENT_TIMESTAMP:
      if (FIRST(14)) req.event_timestamp = (int64_t)vp_u32(vp);
      break;
    case PW_ACCT_DELAY_TIME:
      if (FIRST(15)) req.delay_time = vp_u32(vp);
      break;
    case PW_CLASS:
      if (FIRST(16)) req.class_attr = vp_text(vp, &cls);
      break;
    case PW_NAS_IP_ADDRESS:
      if (FIRST(17)) nas_ipv4 = vp_text(vp, &nas_ip4);
      break;
    case PW_NAS_IPV6_ADDRESS:
      if (FIRST(18)) nas_ipv6 = vp_text(vp, &nas_ip6);
      break;
    case PW_NAS_IDENTIFIER:
      if (FIRST(19)) req.nas_identifier = vp->da->type == PW_TYPE_STRING ? vp->vp_strvalue : NULL;
      break;
    case PW_NAS_PORT_ID:
      if (FIRST(20)) req.nas_port_id = vp->da->type == PW_TYPE_STRING ? vp->vp_strvalue : NULL;
      break;
    case PW_NAS_PORT: /* decimal, as %{NAS-Port} prints it: vp_prints_value goes through printf */
      if (FIRST(21))
        req.nas_port = vp->da->type == PW_TYPE_INTEGER ? format_u32(vp->vp_integer, &nas_port)
                                                       : vp_text(vp, &nas_port);
      break;
    default:
      break;
    }
  }
#undef FIRST
  req.nas_address = nas_ipv6 ? nas_ipv6 : nas_ipv4;

  /* ISP_FAIL sends no Accounting-Response: the NAS retransmits, nothing is lost. */
  return rcode_of(request, "accounting", isp_core_accounting(inst->core, &req, msg, sizeof msg),
                  msg);
}

/* Adds Message-Authenticator to the reply unless it is there: FreeRADIUS computes its value when
 * it encodes the packet (rad_sign), for any reply whose list holds the attribute. 3.2.1 signs
 * only those (3.2.5 and later sign every reply to an Access-Request themselves: BlastRADIUS,
 * CVE-2024-3596). Done here rather than by an unlang update in the site: that parses "0x00" and
 * runs the interpreter for every request. */
static void sign_reply(rlm_isp_t const* inst, REQUEST* request, int has_ma) {
  VALUE_PAIR* vp;
  static uint8_t const zeros[AUTH_VECTOR_LEN] = {0};

  if (!inst->message_authenticator || has_ma) return;
  vp = fr_pair_afrom_da(request->reply, inst->message_authenticator_da);
  if (!vp) {
    RWARN("cannot add Message-Authenticator: %s", fr_strerror());
    return;
  }
  fr_pair_value_memcpy(vp, zeros, sizeof zeros);
  fr_pair_add(&request->reply->vps, vp);
}

static rlm_rcode_t CC_HINT(nonnull) mod_post_auth(void* instance, REQUEST* request) {
  rlm_isp_t* inst = instance;
  text_buf user, src, why;
  char const* reason = NULL;
  char const* user_name;
  char err[ISP_ERROR_MAX] = "";
  int accepted, has_ma = 0;
  unsigned int wanted; /* the reply attribute whose text is the entry's reason */
  VALUE_PAIR const* vp;
  VALUE_PAIR const* found = NULL;

  switch (request->reply->code) {
  case PW_CODE_ACCESS_ACCEPT:
    accepted = 1;
    /* Our Class says which profile (normal / isolated) the session was given. */
    wanted = PW_CLASS;
    break;
  case PW_CODE_ACCESS_REJECT:
    accepted = 0;
    reason = attr_text(request->packet->vps, PW_MODULE_FAILURE_MESSAGE, &why);
    wanted = reason ? 0 : PW_REPLY_MESSAGE;
    break;
  default: /* Access-Challenge: not an outcome yet */
    return RLM_MODULE_NOOP;
  }
  /* One walk over the reply for both, where a search for each cost more than the rest of this
   * method (the first of each counts, as fr_pair_find_by_num would find it). */
  for (vp = request->reply->vps; vp; vp = vp->next) {
    if (vp->da->vendor != 0) continue;
    if (vp->da->attr == PW_MESSAGE_AUTHENTICATOR) has_ma = 1;
    if (!found && wanted && vp->da->attr == wanted) found = vp;
  }
  if (found) reason = vp_text(found, &why);
  sign_reply(inst, request, has_ma);

  /* The server keeps the request's User-Name at hand (a policy may have pointed it at
   * Stripped-User-Name instead: then it is searched for). */
  vp = request->username;
  user_name = vp && vp->da->vendor == 0 && vp->da->attr == PW_USER_NAME
                  ? vp_text(vp, &user)
                  : attr_text(request->packet->vps, PW_USER_NAME, &user);

  /* ISP_REJECT turns an accept into a reject (e.g. no address left); the server then runs
   * Post-Auth-Type REJECT, which calls us again with accepted = 0. */
  return rcode_of(request, "post-auth",
                  isp_core_post_auth(inst->core, user_name, packet_src(request, &src), accepted,
                                     reason, received_ms(request), err, sizeof err),
                  err);
}

/* The only exported symbol: the server dlsym()s "rlm_" + the module's name. */
extern module_t rlm_isp;
module_t rlm_isp = {.magic = RLM_MODULE_INIT,
                    .name = "isp",
                    /* Not HUP_SAFE: a HUP would open a second LMDB environment for the same
                     * state in this process, which LMDB forbids. */
                    .type = RLM_TYPE_THREAD_SAFE,
                    .inst_size = sizeof(rlm_isp_t),
                    .config = module_config,
                    .instantiate = mod_instantiate,
                    .detach = mod_detach,
                    .methods = {
                        [MOD_AUTHORIZE] = mod_authorize,
                        [MOD_ACCOUNTING] = mod_accounting,
                        [MOD_POST_AUTH] = mod_post_auth,
                    }};
