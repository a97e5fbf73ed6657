// Ticker statistics (RocksDB's cheapest statistics level), missing from
// RocksDB 7.8's C API beyond a text dump.
#ifndef PEGASUS_ROCKSDB_TICKERS_H
#define PEGASUS_ROCKSDB_TICKERS_H

#include <stdint.h>

#include <rocksdb/c.h>

#ifdef __cplusplus
extern "C" {
#endif

// pegasus_enable_ticker_statistics gives opts a statistics object that
// counts tickers only (no histograms or timers). It returns 0 on success.
int pegasus_enable_ticker_statistics(rocksdb_options_t* opts);

// pegasus_block_cache_tickers reads the block cache hit and miss counts of
// an open DB. It returns 0 on success, 1 when the DB keeps no statistics.
int pegasus_block_cache_tickers(rocksdb_t* db, uint64_t* hits, uint64_t* misses);

#ifdef __cplusplus
}
#endif

#endif
