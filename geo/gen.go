package geo

//go:generate go run ./internal/gentable -o countries.go
