// The one translation unit that compiles Asio's and Asio SSL's non-template sources
// (ASIO_SEPARATE_COMPILATION is defined for every target by mailproto_usage).
#include <asio/impl/src.hpp>
#include <asio/ssl/impl/src.hpp>
