// Atomic flush of two column families, missing from RocksDB 7.8's C API.
#ifndef PEGASUS_ROCKSDB_FLUSH_H
#define PEGASUS_ROCKSDB_FLUSH_H

#include <rocksdb/c.h>

#ifdef __cplusplus
extern "C" {
#endif

// pegasus_flush_cfs flushes the memtables of both column families as one
// atomic flush and waits for it. It returns NULL on success, otherwise a
// malloc'ed error message the caller frees.
char* pegasus_flush_cfs(rocksdb_t* db, rocksdb_column_family_handle_t* a,
                        rocksdb_column_family_handle_t* b);

#ifdef __cplusplus
}
#endif

#endif
