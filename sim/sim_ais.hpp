#pragma once
// The simulator's AIS feed (issue 20, item 9): `simulate --ais` writes OUT/ais/feed.csv in the
// NOAA MarineCadastre format for the ships of the port AOI, from the same truth as the scenes:
//   - AIS on (three ships in four, by id): fixes every 3 min at anchor or berth, every 10 s under
//     way (10 kn along the hull, at the truth position at the acquisition), 20 min either side of
//     each acquisition, 10 m Gaussian position noise, and for every fifth vessel an 8-minute gap
//     before the acquisition;
//   - dark (every fourth ship by id): no AIS;
//   - spoofed: one vessel broadcasting, around date 0, from the point of the port farthest from
//     every ship of that date, where no ship is;
//   - elsewhere: one vessel at anchor 2 km east of the port box around date 0 (AIS places it
//     outside the AOI);
//   - sts: the ship-to-ship pair of date 0 (two hulls alongside at anchor) broadcasts for 2.5 h
//     either side of the acquisition, an AIS encounter.
// Each truth ship gets "mmsi" (366100000 + id) and "ais_case" ("on" | "dark"); truth["ais"] lists
// the vessels of the feed with their case. Deterministic for a seed.
#include <cstdint>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace cw::sim {

constexpr std::uint32_t kSimMmsiBase = 366100000;
constexpr std::uint32_t kSimSpoofedMmsi = 366199999;
constexpr std::uint32_t kSimElsewhereMmsi = 366188888;

// Writes outDir/ais/feed.csv and annotates `truth` (its "ships", "dates" and "aois" as the
// simulator writes them). Returns the number of rows written.
int writeSimulatedAis(nlohmann::ordered_json& truth, const std::filesystem::path& outDir,
                      std::uint64_t seed);

// Vessel-level declaration rows (CSV lines) for the port over [first, last], one per verdict the
// feed can exercise, each added to truth["declarations"] with the verdict the truth implies:
// a call by an AIS-on ship (consistent), a call by the vessel elsewhere (discrepancy), no dark
// vessel (a discrepancy when a dark ship is in the port outside clouds), a complete list naming
// only the first ship (a discrepancy when more AIS-on ships called), no ship-to-ship transfer
// (a discrepancy when the simulator drew its pair).
std::string simulatedAisDeclarations(nlohmann::ordered_json& truth, const std::string& first,
                                     const std::string& last);

}  // namespace cw::sim
