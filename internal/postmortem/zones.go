package postmortem

import (
	"fmt"
	"strings"
	"time"
	// Postmortems name zones that the host's zoneinfo may lack (a container
	// image without tzdata); embedding the database makes ?tz= and imported
	// zone names work everywhere.
	_ "time/tzdata"

	"hindsight/internal/incident"
)

// zoneAbbrevs maps the abbreviations people write after times to their
// offsets. Abbreviations are ambiguous (CST is also China, IST also Israel
// and Ireland); these are the readings most postmortems mean.
var zoneAbbrevs = map[string]int{
	"UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
	"BST": 1, "CET": 1, "WEST": 1, "MET": 1,
	"CEST": 2, "EET": 2, "MEST": 2, "SAST": 2,
	"EEST": 3, "MSK": 3,
	"IST": 5*60 + 30,
	"SGT": 8, "HKT": 8, "AWST": 8,
	"JST": 9, "KST": 9,
	"ACST": 9*60 + 30, "ACDT": 10*60 + 30,
	"AEST": 10, "AEDT": 11,
	"NZST": 12, "NZDT": 13,
	"HST": -10, "AKST": -9, "AKDT": -8,
	"PST": -8, "PDT": -7, "MST": -7, "MDT": -6,
	"CST": -6, "CDT": -5, "EST": -5, "EDT": -4,
	"AST": -4, "ADT": -3, "NST": -(3*60 + 30), "NDT": -(2*60 + 30),
}

// abbrevOffset returns the offset in seconds of a known abbreviation.
func abbrevOffset(name string) (int, bool) {
	off, ok := zoneAbbrevs[name]
	if !ok {
		return 0, false
	}
	// Whole hours are written as hours, half-hour zones as minutes.
	if off > -24 && off < 24 {
		off *= 60
	}
	return off * 60, true
}

// abbrevLocation returns a fixed zone for a known abbreviation.
func abbrevLocation(name string) (*time.Location, bool) {
	off, ok := abbrevOffset(name)
	if !ok {
		return nil, false
	}
	if name == "UTC" || name == "Z" {
		return time.UTC, true
	}
	return time.FixedZone(name, off), true
}

// offsetLocation returns a fixed zone east of UTC by the given minutes,
// named the way the export writes it.
func offsetLocation(minutes int) *time.Location {
	if minutes == 0 {
		return time.UTC
	}
	return time.FixedZone(offsetName(minutes*60), minutes*60)
}

// offsetName writes an offset in seconds as "UTC+02:00".
func offsetName(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, sec/3600, sec/60%60)
}

// LoadLocation returns the zone named by an IANA name ("Europe/Berlin"),
// "UTC", or an abbreviation the importer knows ("PST"), for the export's
// --tz and ?tz=. An empty name means UTC. An unknown name is an EINVALID
// error about the field "tz".
func LoadLocation(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || strings.EqualFold(name, "UTC") {
		return time.UTC, nil
	}
	if loc, ok := abbrevLocation(strings.ToUpper(name)); ok {
		return loc, nil
	}
	// time.LoadLocation also reads files; a name with dots could climb
	// out of the zoneinfo tree, so only plain zone names are tried.
	if strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.EqualFold(name, "Local") {
		return nil, incident.FieldError(incident.EINVALID, "tz", "unknown time zone %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, incident.FieldError(incident.EINVALID, "tz", "unknown time zone %q: use an IANA name such as Europe/Berlin", name)
	}
	return loc, nil
}

// zoneLabel names the zone of t as the export shows it: the abbreviation
// when the importer reads it back as the same offset ("UTC", "CET",
// "PDT"), else the offset ("UTC+04:00").
func zoneLabel(t time.Time) string {
	name, off := t.Zone()
	if off == 0 && (name == "UTC" || name == "GMT" || name == "") {
		return "UTC"
	}
	if known, ok := abbrevOffset(name); ok && known == off {
		return name
	}
	return offsetName(off)
}
