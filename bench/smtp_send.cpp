// bench_smtp_send HOST PORT COUNT [MESSAGE_BYTES] [--vector | --one-by-one]: client CPU per
// message for COUNT small messages sent over one plain SMTP connection (a local sink, loopback
// only).
//
// By default the messages go the way a user of the library sends many messages:
// client::send_batch (docs/smtp.md, "Several messages"), here its streamed form (each message
// supplied by a callback when the batch is ready for it, each result handed to a callback as
// soon as it is known: constant memory however many messages), which with PIPELINING puts
// the end of each message's data in the same write as the next message's MAIL/RCPT/DATA (RFC
// 2920 §3.1). The results are checked as they come. Prints `RESULT smtp-send mailproto <us>
// us/msg`.
// With --vector: the same batch through send_batch's vector form (a batch_message per
// message built up front, a batch_result per message returned). Prints `RESULT smtp-send
// mailproto-vector ...`.
// With --one-by-one: COUNT calls of client::send, one message each (each call pipelines
// MAIL/RCPT/DATA within its message only). Prints `RESULT smtp-send mailproto-one-by-one ...`.
// The value: user+system CPU of this process from after the connect to after QUIT, divided
// by COUNT (getrusage). Building the sources and envelopes is inside the measurement.
#include <mailproto/smtp/client.hpp>

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {
double cpu_us() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
}
}  // namespace

int main(int argc, char** argv) {
  bool one_by_one = false, vector = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--one-by-one") == 0)
      one_by_one = true;
    else if (std::strcmp(argv[i], "--vector") == 0)
      vector = true;
    else
      args.push_back(argv[i]);
  }
  if (args.size() < 4) {
    std::fprintf(stderr,
                 "usage: bench_smtp_send HOST PORT COUNT [MESSAGE_BYTES] [--vector | "
                 "--one-by-one]\n");
    return 2;
  }
  using namespace mailproto;
  const int count = std::atoi(args[3]);
  const std::size_t bytes = args.size() > 4 ? std::strtoul(args[4], nullptr, 10) : 1000;
  std::string msg = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: bench\r\n\r\n";
  while (msg.size() < bytes)
    msg += "The quick brown fox jumps over the lazy dog, again and again.\r\n";
  smtp::client_options o;
  o.session.helo_name = "bench.example.test";
  smtp::client c(o);
  net::connect_options n;
  n.host = args[1];
  n.port = static_cast<std::uint16_t>(std::atoi(args[2]));
  n.tls = net::tls_mode::none;
  std::error_code ec;
  c.connect(n, ec);
  if (ec) {
    std::fprintf(stderr, "connect: %s\n", describe(ec, c.last_reply()).c_str());
    return 1;
  }
  smtp::envelope env;
  env.from = "alice@example.test";
  env.recipients = {"bob@example.test"};
  const double t0 = cpu_us();
  if (one_by_one) {
    for (int i = 0; i < count; ++i) {
      auto src = string_source::view(msg);
      c.send(src, env, ec);
      if (ec) {
        std::fprintf(stderr, "send %d: %s\n", i, describe(ec, c.last_reply()).c_str());
        return 1;
      }
    }
  } else if (!vector) {
    // Two message objects in turn (at most two are in flight: smtp::batch_next).
    std::optional<string_source> sources[2];
    smtp::batch_message ring[2] = {{nullptr, env}, {nullptr, env}};
    int taken = 0, failed = 0;
    const std::size_t n = c.send_batch(
        [&]() -> const smtp::batch_message* {
          if (taken == count) return nullptr;
          const int slot = taken++ % 2;
          ring[slot].source = &sources[slot].emplace(string_source::view(msg));
          return &ring[slot];
        },
        [&](std::size_t i, smtp::batch_result& r) {
          if (r.error || !r.result.delivered) {
            if (failed++ == 0)
              std::fprintf(stderr, "message %zu: %s\n", i,
                           describe(r.error, r.result.final_reply).c_str());
          }
        },
        ec);
    if (ec || failed || n != static_cast<std::size_t>(count)) {
      std::fprintf(stderr, "send_batch: %s (%zu taken, %d failed)\n",
                   describe(ec, c.last_reply()).c_str(), n, failed);
      return 1;
    }
  } else {
    std::vector<string_source> sources;
    sources.reserve(static_cast<std::size_t>(count));
    std::vector<smtp::batch_message> batch;
    batch.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      sources.push_back(string_source::view(msg));
      batch.push_back({&sources.back(), env});
    }
    auto results = c.send_batch(batch, ec);
    if (ec) {
      std::fprintf(stderr, "send_batch: %s\n", describe(ec, c.last_reply()).c_str());
      return 1;
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].error || !results[i].result.delivered) {
        std::fprintf(stderr, "message %zu: %s\n", i,
                     describe(results[i].error, results[i].result.final_reply).c_str());
        return 1;
      }
    }
  }
  c.quit(ec);
  const double t1 = cpu_us();
  std::printf("RESULT smtp-send %s %.1f us/msg\n",
              one_by_one ? "mailproto-one-by-one"
              : vector   ? "mailproto-vector"
                         : "mailproto",
              (t1 - t0) / count);
  return 0;
}
