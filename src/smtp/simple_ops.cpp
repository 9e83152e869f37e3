// NOOP, RSET and QUIT: one command, one reply (RFC 5321 §4.1.1.5, §4.1.1.9, §4.1.1.10).
#include "smtp/op_base.hpp"

#include <mailproto/smtp/detail/ops.hpp>

namespace mailproto::smtp::detail {
namespace {

class simple_op final : public op_base<void> {
 public:
  simple_op(protocol& p, const char* cmd) : op_base(p), cmd_(cmd) {}
  void take_result() override {}

 private:
  net::action step() override {
    if (!sent_) {
      if (auto a = check_ready()) return *a;
      sent_ = true;
      out_ = std::string(cmd_) + "\r\n";
      return write(out_, command_timeout());
    }
    server_reply rep;
    if (auto a = take_reply(rep, command_timeout())) return *a;
    if (rep.code == 250) return net::action::done();
    return refused(rep);
  }
  const char* cmd_;
  bool sent_ = false;
};

// QUIT is a goodbye: a server that already hung up, or answers oddly, is not an error —
// the connection is closed either way and the session ends up `disconnected`.
class quit_op final : public op_base<void> {
 public:
  explicit quit_op(protocol& p) : op_base(p) {}
  void take_result() override {}

 private:
  enum class st { start, reply, closed };
  net::action on_io_error(std::error_code) override { return close(); }
  net::action close() {
    step_ = st::closed;
    return net::action::close();
  }
  net::action step() override {
    switch (step_) {
      case st::start:
        if (p_.state() != session_state::ready) return close();
        step_ = st::reply;
        out_ = "QUIT\r\n";
        return write(out_, command_timeout());
      case st::reply: {
        server_reply rep;
        std::error_code ec;
        if (p_.next_reply(rep, ec) || ec) return close();  // 221 expected; anything ends it
        return net::action::read(command_timeout());
      }
      case st::closed:
        p_.set_state(session_state::disconnected);
        return net::action::done();
    }
    return close();
  }
  st step_ = st::start;
};

}  // namespace

std::unique_ptr<net::result_operation<void>> make_noop_op(protocol& p) {
  return std::make_unique<simple_op>(p, "NOOP");
}
std::unique_ptr<net::result_operation<void>> make_reset_op(protocol& p) {
  return std::make_unique<simple_op>(p, "RSET");
}
std::unique_ptr<net::result_operation<void>> make_quit_op(protocol& p) {
  return std::make_unique<quit_op>(p);
}

}  // namespace mailproto::smtp::detail
