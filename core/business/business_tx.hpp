// The business module inside a caller's transaction, for core .cpp files
// that already hold one: booking reads the hours and rules in the same
// transaction that books, so a concurrent `omni business apply` is seen
// whole or not at all. Includes <pqxx/pqxx> through core/db/pqxx.hpp, so
// public headers must not include this one.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <string>

#include "core/business/business.hpp"
#include "core/db/pqxx.hpp"

namespace omni::business {

// What booking needs of a business: its contact for calendar invites, its
// time zone, opening hours and booking rules.
struct Schedule {
  std::string name;
  std::string email;    // "" when none
  std::string address;  // "" when none
  std::string timezone;
  std::array<DayWindows, 7> weekly;  // [0] Monday ... [6] Sunday, as BusinessSpec
  std::map<std::chrono::year_month_day, DayWindows> overrides;  // local date -> replaces its weekly windows
  BookingRules rules;
};

// The schedule of the business `business_id`. Throws NotFound when there
// is none, ConfigError when its stored hours are malformed (edited by hand).
Schedule LoadSchedule(pqxx::dbtransaction& tx, const std::string& business_id);

// What notify needs of a business to word and address its mail.
struct NotifyProfile {
  std::string slug;
  std::string name;
  std::string email;          // contact.email; "" when none
  std::string timezone;
  std::string primary_color;  // widget.colors.primary; "" when none
  std::string phone_region;   // PhoneRegion at `business apply`; "" when none
  NotificationSettings settings;
};

// NotFound when there is no business `business_id`.
NotifyProfile LoadNotifyProfile(pqxx::dbtransaction& tx, const std::string& business_id);

}  // namespace omni::business
