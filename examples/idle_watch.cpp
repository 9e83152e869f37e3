// Wait for new mail with IMAP IDLE (RFC 2177, RFC 9051 §6.3.13) and print the subject of
// each arrival. While idling the server pushes "* N EXISTS" when a message arrives; the
// client then leaves IDLE (DONE), FETCHes the new messages' ENVELOPE and idles again.
//
//   eval "$(scripts/sandbox env)"; build/default/examples/example_idle_watch
//
// Bounds (for CI; unset or 0 = watch forever): MAILPROTO_EXAMPLE_MAX_EVENTS arrivals,
// MAILPROTO_EXAMPLE_TIMEOUT seconds. Exits 2 if the timeout passed before enough arrivals.
#include "sandbox_env.hpp"

#include <mailproto/imap/client.hpp>
#include <mailproto/mime/encoding.hpp>

#include <chrono>
#include <iostream>

int main() try {
  using namespace mailproto;
  using clock = std::chrono::steady_clock;
  const char* max_env = std::getenv("MAILPROTO_EXAMPLE_MAX_EVENTS");
  const char* timeout_env = std::getenv("MAILPROTO_EXAMPLE_TIMEOUT");
  const long max_events = max_env ? std::atol(max_env) : 0;
  const auto timeout = std::chrono::seconds(timeout_env ? std::atol(timeout_env) : 0);
  const auto deadline = clock::now() + timeout;

  imap::client im;
  imap::client_options o;
  o.net = {.host = example::env("MAILPROTO_HOST"),
           .port = example::port("MAILPROTO_IMAPS_PORT"),
           .tls = net::tls_mode::implicit};
  o.net.tls_opts.cafile = example::env("MAILPROTO_CAFILE");
  o.net.trace = net::trace_to(std::cerr);  // every C:/S: line (IDLE, + idling, EXISTS, DONE)
  im.connect(o);
  im.login(example::env("MAILPROTO_BOB_USER"), example::env("MAILPROTO_BOB_PASSWORD"));
  std::uint32_t known = im.select("INBOX").exists;
  std::cout << "watching INBOX (" << known << " messages)" << std::endl;  // flushed: scripts wait

  long arrivals = 0;
  while (max_events == 0 || arrivals < max_events) {
    imap::idle_options idle;  // leave IDLE at the first EXISTS (the handler may not fetch)
    idle.on_event = [](const imap::event& e) { return e.type != imap::event::kind::exists; };
    if (timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) break;
      idle.interval = left;
    }
    im.idle(idle);
    const std::uint32_t now = im.selected().exists;  // kept current by EXISTS/EXPUNGE
    if (now > known) {
      for (auto& m :
           im.fetch(imap::sequence_set::range(known + 1, now), imap::fetch_items{}.envelope())) {
        auto subject = m.envelope ? m.envelope->subject.value_or("") : "";
        std::cout << "new mail " << m.seq << ": " << mime::rfc2047_decode(subject) << std::endl;
        ++arrivals;
      }
    }
    known = now;
  }
  im.logout();
  return max_events > 0 && arrivals < max_events ? 2 : 0;
} catch (const std::exception& e) {  // mailproto::error: the code and the server's words
  std::cerr << "idle_watch: " << e.what() << "\n";
  return 1;
}
