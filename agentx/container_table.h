// SPDX-License-Identifier: GPL-2.0-or-later
// One read-only SNMP table served from memory with Net-SNMP's table_container helper: a sorted
// binary array of rows keyed by their index OID. GET, GETNEXT and GETBULK are answered by binary
// search (the helper turns GETNEXT into a GET of the next row), so a walk is O(n log n), unlike
// table_iterator's O(n^2). Rows are only changed between requests, on the agent's refresh timer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

// Net-SNMP needs its configuration header first.
#include <net-snmp/net-snmp-config.h>

#include <net-snmp/net-snmp-includes.h>
// and the library's headers before the agent's.
#include <net-snmp/agent/net-snmp-agent-includes.h>

namespace ispbox::agentx {

// The part of every row the container sees. `index` must stay the first member: the container
// compares rows through a netsnmp_index pointer to them.
struct RowBase {
  netsnmp_index index{};
  uint32_t generation = 0; // for sweeping rows that a full reload did not see again
  oid inline_oids[3] = {}; // short indexes (OLT, PON, ONU) need no allocation

  RowBase() = default;
  RowBase(const RowBase&) = delete;
  RowBase& operator=(const RowBase&) = delete;
  ~RowBase() {
    if (index.oids != inline_oids) delete[] index.oids;
  }
  void setIndex(const oid* o, size_t len) {
    index.oids = len <= std::size(inline_oids) ? inline_oids : new oid[len];
    std::copy(o, o + len, index.oids);
    index.len = len;
  }
};

// Index encodings (RFC 2578 7.7): a variable-length string is its length then its octets.
void appendStringIndex(std::vector<oid>* out, std::string_view s);

// Typed values for a varbind.
void setInteger(netsnmp_variable_list* vb, int32_t v);
void setGauge(netsnmp_variable_list* vb, uint32_t v);
void setUnsigned(netsnmp_variable_list* vb, uint32_t v);
void setCounter64(netsnmp_variable_list* vb, uint64_t v);
void setString(netsnmp_variable_list* vb, std::string_view s);

template <class Row> class ContainerTable {
public:
  // Fills vb with column `column` of row; false when the row has no such column.
  using Getter = bool (*)(const Row& row, unsigned column, netsnmp_variable_list* vb);

  ContainerTable(std::string name, std::vector<oid> table_oid, std::vector<u_char> index_types,
                 unsigned min_column, unsigned max_column, Getter getter)
      : name_(std::move(name)), table_oid_(std::move(table_oid)),
        index_types_(std::move(index_types)), min_column_(min_column), max_column_(max_column),
        getter_(getter) {
    container_ = netsnmp_container_find((name_ + ":table_container").c_str());
    if (!container_) throw std::runtime_error(name_ + ": no table_container");
  }
  ~ContainerTable() {
    clear();
    if (!registered_) CONTAINER_FREE(container_); // else the registration owns it
  }
  ContainerTable(const ContainerTable&) = delete;
  ContainerTable& operator=(const ContainerTable&) = delete;

  // Registers with the agent (after init_agent()). Returns false on failure.
  bool registerTable() {
    auto* reg = netsnmp_create_handler_registration(name_.c_str(), &ContainerTable::handle,
                                                    table_oid_.data(), table_oid_.size(),
                                                    HANDLER_CAN_RONLY);
    if (!reg) return false;
    reg->handler->myvoid = this;
    auto* tinfo = static_cast<netsnmp_table_registration_info*>(
        calloc(1, sizeof(netsnmp_table_registration_info)));
    for (u_char t : index_types_) // netsnmp_table_helper_add_index(), without its C casts
      snmp_varlist_add_variable(&tinfo->indexes, nullptr, 0, t, nullptr, 0);
    tinfo->min_column = min_column_;
    tinfo->max_column = max_column_;
    if (netsnmp_container_table_register(reg, tinfo, container_,
                                         TABLE_CONTAINER_KEY_NETSNMP_INDEX) != MIB_REGISTERED_OK)
      return false;
    registered_ = true;
    return true;
  }

  size_t size() const { return CONTAINER_SIZE(container_); }

  Row* find(const std::vector<oid>& idx) const {
    netsnmp_index key{idx.size(), const_cast<oid*>(idx.data())};
    return fromIndex(CONTAINER_FIND(container_, &key));
  }

  // Adds rows not in the table yet. Sorted first: the binary array inserts by memmove, so rows
  // arriving in index order are appends, and a bulk load stays O(n log n).
  void insert(std::vector<std::unique_ptr<Row>> rows) {
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return snmp_oid_compare(a->index.oids, a->index.len, b->index.oids, b->index.len) < 0;
    });
    for (auto& r : rows) {
      r->generation = generation_;
      if (CONTAINER_INSERT(container_, static_cast<RowBase*>(r.get())) == 0) r.release();
    }
  }

  void erase(Row* row) {
    CONTAINER_REMOVE(container_, static_cast<RowBase*>(row));
    delete row;
  }

  void clear() {
    std::vector<Row*> all;
    forEach([&](Row& r) { all.push_back(&r); });
    CONTAINER_CLEAR(container_, nullptr, nullptr);
    for (Row* r : all)
      delete r;
  }

  template <class F> void forEach(F&& f) const {
    netsnmp_iterator* it = CONTAINER_ITERATOR(container_);
    if (!it) return;
    for (void* p = ITERATOR_FIRST(it); p; p = ITERATOR_NEXT(it))
      f(*fromIndex(p));
    ITERATOR_RELEASE(it);
  }

  // Full reloads: beginGeneration(), touch() every row seen (insert() marks new ones), then
  // sweep() removes the rest, calling gone(row) before each removal.
  void beginGeneration() { ++generation_; }
  void touch(Row* row) { row->generation = generation_; }
  template <class F> size_t sweep(F&& gone) {
    return sweepIf([](const Row&) { return true; }, gone);
  }
  // The same for a partial reload: only rows for which in_scope(row) holds are candidates.
  template <class P, class F> size_t sweepIf(P&& in_scope, F&& gone) {
    std::vector<Row*> stale;
    forEach([&](Row& r) {
      if (r.generation != generation_ && in_scope(r)) stale.push_back(&r);
    });
    for (Row* r : stale) {
      gone(*r);
      erase(r);
    }
    return stale.size();
  }

private:
  static Row* fromIndex(void* p) {
    return p ? static_cast<Row*>(reinterpret_cast<RowBase*>(p)) : nullptr;
  }

  static int handle(netsnmp_mib_handler* handler, netsnmp_handler_registration*,
                    netsnmp_agent_request_info* reqinfo, netsnmp_request_info* requests) {
    auto* self = static_cast<ContainerTable*>(handler->myvoid);
    if (reqinfo->mode != MODE_GET) return SNMP_ERR_NOERROR; // read-only: the helper refuses SETs
    for (auto* r = requests; r; r = r->next) {
      if (r->processed) continue;
      void* row = netsnmp_container_table_row_extract(r);
      netsnmp_table_request_info* ti = netsnmp_extract_table_info(r);
      if (!row || !ti) {
        netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
        continue;
      }
      if (!self->getter_(*fromIndex(row), ti->colnum, r->requestvb))
        netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
    }
    return SNMP_ERR_NOERROR;
  }

  std::string name_;
  std::vector<oid> table_oid_;
  std::vector<u_char> index_types_;
  unsigned min_column_, max_column_;
  Getter getter_;
  netsnmp_container* container_ = nullptr;
  bool registered_ = false;
  uint32_t generation_ = 1;
};

} // namespace ispbox::agentx
