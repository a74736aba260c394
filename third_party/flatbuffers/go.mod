module github.com/google/flatbuffers

go 1.18
