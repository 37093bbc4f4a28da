package proto

//go:generate ./generate.sh
