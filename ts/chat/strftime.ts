/**
 * Python's `datetime.strftime` for a naive local datetime in the C locale (what transformers'
 * `strftime_now` returns), including glibc's `%-d` style "no padding" flag.
 * Unknown directives are left as written, as glibc does.
 */
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January", "February", "March", "April", "May", "June",
  "July", "August", "September", "October", "November", "December",
];

function pad(n: number, width: number, fill: string): string {
  return String(n).padStart(width, fill);
}

function dayOfYear(d: Date): number {
  const start = new Date(d.getFullYear(), 0, 1);
  const a = Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  const b = Date.UTC(start.getFullYear(), 0, 1);
  return Math.round((a - b) / 86_400_000) + 1;
}

/** Week of the year; `firstDay` 0 = weeks start on Sunday (%U), 1 = Monday (%W). */
function weekOfYear(d: Date, firstDay: number): number {
  const yday = dayOfYear(d) - 1;
  const wday = (d.getDay() - firstDay + 7) % 7;
  return Math.floor((yday + 7 - wday) / 7);
}

/** ISO 8601 week-based year and week number (%G, %V). */
function isoWeek(d: Date): [number, number] {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return [t.getUTCFullYear(), Math.ceil(((t.getTime() - yearStart) / 86_400_000 + 1) / 7)];
}

function field(d: Date, c: string, noPad: boolean): string | undefined {
  const num = (n: number, width: number, fill = "0") => (noPad ? String(n) : pad(n, width, fill));
  const h12 = d.getHours() % 12 || 12;
  switch (c) {
    case "a": return DAYS[d.getDay()].slice(0, 3);
    case "A": return DAYS[d.getDay()];
    case "b": case "h": return MONTHS[d.getMonth()].slice(0, 3);
    case "B": return MONTHS[d.getMonth()];
    case "c": return `${field(d, "a", false)} ${field(d, "b", false)} ${pad(d.getDate(), 2, " ")} ${field(d, "X", false)} ${d.getFullYear()}`;
    case "C": return num(Math.floor(d.getFullYear() / 100), 2);
    case "d": return num(d.getDate(), 2);
    case "D": return `${field(d, "m", false)}/${field(d, "d", false)}/${field(d, "y", false)}`;
    case "e": return num(d.getDate(), 2, " ");
    case "f": return pad(d.getMilliseconds() * 1000, 6, "0");
    case "F": return `${d.getFullYear()}-${field(d, "m", false)}-${field(d, "d", false)}`;
    case "G": return String(isoWeek(d)[0]);
    case "H": return num(d.getHours(), 2);
    case "I": return num(h12, 2);
    case "j": return num(dayOfYear(d), 3);
    case "k": return num(d.getHours(), 2, " ");
    case "l": return num(h12, 2, " ");
    case "m": return num(d.getMonth() + 1, 2);
    case "M": return num(d.getMinutes(), 2);
    case "n": return "\n";
    case "p": return d.getHours() < 12 ? "AM" : "PM";
    case "r": return `${field(d, "I", false)}:${field(d, "M", false)}:${field(d, "S", false)} ${field(d, "p", false)}`;
    case "R": return `${field(d, "H", false)}:${field(d, "M", false)}`;
    case "S": return num(d.getSeconds(), 2);
    case "t": return "\t";
    case "T": case "X": return `${field(d, "H", false)}:${field(d, "M", false)}:${field(d, "S", false)}`;
    case "u": return String(d.getDay() || 7);
    case "U": return num(weekOfYear(d, 0), 2);
    case "V": return num(isoWeek(d)[1], 2);
    case "w": return String(d.getDay());
    case "W": return num(weekOfYear(d, 1), 2);
    case "x": return field(d, "D", false);
    case "y": return num(d.getFullYear() % 100, 2);
    case "Y": return String(d.getFullYear());
    case "z": case "Z": return ""; // naive datetime: no zone
    case "%": return "%";
    default: return undefined;
  }
}

export function strftime(date: Date, format: string): string {
  return format.replace(/%(-?)([A-Za-z%])/g, (whole, flag: string, c: string) => field(date, c, flag === "-") ?? whole);
}
