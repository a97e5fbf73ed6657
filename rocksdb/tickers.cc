// Ticker statistics through the C++ API; see tickers.h.

#include "tickers.h"

#include <exception>

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>

// The C API's option and DB handles wrap the C++ objects by value and by
// pointer respectively (rocksdb/db/c.cc); flush.cc completes rocksdb_t.
struct rocksdb_options_t {
  rocksdb::Options rep;
};
struct rocksdb_t {
  rocksdb::DB* rep;
};

extern "C" int pegasus_enable_ticker_statistics(rocksdb_options_t* opts) {
  try {
    auto stats = rocksdb::CreateDBStatistics();
    stats->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
    opts->rep.statistics = stats;
    return 0;
  } catch (const std::exception&) {
    return 1;
  }
}

extern "C" int pegasus_block_cache_tickers(rocksdb_t* db, uint64_t* hits, uint64_t* misses) {
  try {
    std::shared_ptr<rocksdb::Statistics> stats = db->rep->GetDBOptions().statistics;
    if (!stats) {
      return 1;
    }
    *hits = stats->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    *misses = stats->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
    return 0;
  } catch (const std::exception&) {
    return 1;
  }
}
