module github.com/scimd/scimd/examples/go

go 1.26.8

require (
	github.com/scimd/scimd v0.0.0
	github.com/standard-webhooks/standard-webhooks/libraries v1.3.0
)

replace github.com/scimd/scimd => ../..
