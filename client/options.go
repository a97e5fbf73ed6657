package client

import (
	"github.com/pegasus-go/pegasus/thrift/base"
	"github.com/pegasus-go/pegasus/thrift/gen/rrdb"
)

// FilterType selects how a Filter's pattern matches a key.
type FilterType int32

// The filter types, numbered as filter_type on the wire.
const (
	FilterTypeNoFilter      FilterType = 0
	FilterTypeMatchAnywhere FilterType = 1
	FilterTypeMatchPrefix   FilterType = 2
	FilterTypeMatchPostfix  FilterType = 3
)

// Filter keeps only keys matching Pattern (a byte substring, prefix or
// suffix, by Type). The zero Filter keeps everything.
type Filter struct {
	Type    FilterType
	Pattern []byte
}

func (f Filter) check(what string) error {
	if f.Type < FilterTypeNoFilter || f.Type > FilterTypeMatchPostfix {
		return invalidf("%s filter type %d", what, f.Type)
	}
	return nil
}

func (f Filter) wire() (rrdb.FilterType, *base.Blob) {
	return rrdb.FilterType(f.Type), base.NewBlob(f.Pattern)
}

// KeyValue is one record of a hash key, as MultiGet returns it.
type KeyValue struct {
	SortKey, Value []byte
}

// CompositeKey addresses one record.
type CompositeKey struct {
	HashKey, SortKey []byte
}

// MultiGetOptions shape MultiGetOpt and MultiGetRangeOpt. A nil
// *MultiGetOptions means DefaultMultiGetOptions().
type MultiGetOptions struct {
	// StartInclusive and StopInclusive say whether records with exactly
	// the start and stop sort keys are included (range reads only). An
	// empty stop sort key means "to the last sort key".
	StartInclusive bool
	StopInclusive  bool
	// SortKeyFilter keeps only matching sort keys (range reads only).
	SortKeyFilter Filter
	// MaxFetchCount caps the records returned; <= 0 leaves only the
	// server's limit (3000 iterated records).
	MaxFetchCount int
	// MaxFetchSize caps the key and value bytes returned; <= 0 leaves only
	// the server's limit.
	MaxFetchSize int
	// Reverse reads from the stop end of the range (the result is still in
	// ascending order), so limits keep the last records instead of the first.
	Reverse bool
	// NoValue returns sort keys only, with empty values.
	NoValue bool
}

// DefaultMultiGetOptions are upstream's defaults: the start is inclusive,
// the stop exclusive, at most 100 records or 100000 bytes are returned.
func DefaultMultiGetOptions() MultiGetOptions {
	return MultiGetOptions{StartInclusive: true, MaxFetchCount: 100, MaxFetchSize: 100000}
}

// DelRangeOptions shape DelRangeOpt. A nil *DelRangeOptions means a start
// inclusive, stop exclusive range without a filter.
type DelRangeOptions struct {
	StartInclusive bool
	StopInclusive  bool
	SortKeyFilter  Filter
}

// ScanOptions shape scanners. A nil *ScanOptions means DefaultScanOptions().
type ScanOptions struct {
	// BatchSize is the number of records fetched per round trip; <= 0
	// takes the server's limit (1000).
	BatchSize int
	// StartInclusive and StopInclusive apply to GetScanner's sort key
	// range; unordered scanners always scan whole partitions.
	StartInclusive bool
	StopInclusive  bool
	HashKeyFilter  Filter
	SortKeyFilter  Filter
	// NoValue returns keys only, with empty values.
	NoValue bool
}

// DefaultScanOptions: batches of 1000, start inclusive, stop exclusive.
func DefaultScanOptions() ScanOptions {
	return ScanOptions{BatchSize: 1000, StartInclusive: true}
}
