// RocksDB 7.8's C API flushes one column family per call; with atomic_flush a
// single-CF flush persists that CF alone, which would let the data CF and the
// decree in the meta CF reach disk separately. DB::Flush with a list of
// handles is the atomic multi-CF flush, so it is reached through C++ here.

#include "flush.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <vector>

#include <rocksdb/db.h>

// The C API's handles are single-pointer wrappers around the C++ objects
// (rocksdb/db/c.cc); these definitions complete the opaque types of c.h.
struct rocksdb_t {
  rocksdb::DB* rep;
};
struct rocksdb_column_family_handle_t {
  rocksdb::ColumnFamilyHandle* rep;
};

static char* dup_message(const char* msg) {
  char* out = static_cast<char*>(std::malloc(std::strlen(msg) + 1));
  if (out != nullptr) {
    std::strcpy(out, msg);
  }
  return out;
}

extern "C" char* pegasus_flush_cfs(rocksdb_t* db,
                                   rocksdb_column_family_handle_t* a,
                                   rocksdb_column_family_handle_t* b) {
  try {
    rocksdb::FlushOptions opts;
    opts.wait = true;
    std::vector<rocksdb::ColumnFamilyHandle*> cfs{a->rep, b->rep};
    rocksdb::Status s = db->rep->Flush(opts, cfs);
    if (s.ok()) {
      return nullptr;
    }
    return dup_message(s.ToString().c_str());
  } catch (const std::exception& e) {
    return dup_message(e.what());
  }
}
