module github.com/packter/packter/bench/goflow

go 1.26.8

require (
	github.com/netsampler/goflow2/v2 v2.2.6
	github.com/packter/packter v0.0.0
)

replace github.com/packter/packter => ../..
