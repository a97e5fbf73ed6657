package rocksdb

// #include <stdint.h>
// #include "tickers.h"
import "C"

import (
	"fmt"

	"github.com/linxGnu/grocksdb"
)

// enableTickerStatistics makes the DB opened with opts count tickers
// (block cache hits and misses among them), RocksDB's cheapest statistics.
func enableTickerStatistics(opts *grocksdb.Options) error {
	c, err := cHandle(opts)
	if err != nil {
		return fmt.Errorf("statistics: %w", err)
	}
	if C.pegasus_enable_ticker_statistics((*C.rocksdb_options_t)(c)) != 0 {
		return fmt.Errorf("statistics: could not create them")
	}
	return nil
}

// blockCacheTickers reads the block cache hit and miss counts; ok is false
// when the DB keeps no statistics. It needs db.mu held and the DB open.
func (db *DB) blockCacheTickers() (hits, misses uint64, ok bool) {
	if db.cRaw == nil {
		return 0, 0, false
	}
	var h, m C.uint64_t
	if C.pegasus_block_cache_tickers((*C.rocksdb_t)(db.cRaw), &h, &m) != 0 {
		return 0, 0, false
	}
	return uint64(h), uint64(m), true
}
