// The offline booking dialogue's steps: with no model configured, one
// customer message in, one question or confirmation out, until a booking,
// a move or a cancellation is confirmed and made. It reads free starts
// from the booking service and makes every change through the assistant's
// own tools (ExecuteTool), so the hours, buffers, the exclusion constraint
// and who may change which appointment are exactly the model's.
//
// It asks one question at a time, for the first thing missing: the
// service, the day, the time (listing free starts, or the nearest ones
// when the one asked for is taken), the name, an email or phone, then a
// yes to "Shall I book it?". Cancelling and moving reach only
// ChangeableAppointments; with none, the team is asked to follow up.
// Thread-safe as ExecuteTool: one call at a time per context.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/chat/offline_booking.hpp"
#include "core/chat/prompt.hpp"
#include "core/chat/tools.hpp"

namespace omni::chat {

struct DialogueToolCall {
  std::string name;            // book_appointment, reschedule_appointment, cancel_appointment
  std::string arguments_json;
  ToolOutcome outcome;
};

struct DialogueReply {
  // False: the message is not about booking and no dialogue is under way;
  // the offline answer replies instead.
  bool engaged = false;
  std::string text;            // what the customer reads
  std::optional<Passage> citation;  // a knowledge passage quoted in it, cited as [1]
  DialogueState state;         // to store with the reply; the next turn continues it
  bool handoff = false;        // a team member must follow up
  std::string handoff_reason;  // for the team
  std::vector<DialogueToolCall> calls;  // the changes made, in order
};

// Called before (`finished` false) and after each tool the dialogue runs.
using DialogueToolEvent = std::function<void(const std::string& tool, bool finished, bool ok)>;

// One turn of the dialogue. `previous`: the state stored with the last
// offline reply, nullopt when none. `knowledge`: the passages retrieved for
// `text`, so that a question asked in the middle of a booking is answered
// before the dialogue asks its question again. `now` reads the clock; days
// are the business's (context.business->spec.timezone). Database errors
// propagate (Unavailable and the like); a tool's refusal is told to the
// customer.
DialogueReply ContinueBookingDialogue(ToolContext& context, const std::optional<DialogueState>& previous,
                                      const std::string& text, const std::vector<Passage>& knowledge, TimePoint now,
                                      const DialogueToolEvent& on_tool = {});

}  // namespace omni::chat
