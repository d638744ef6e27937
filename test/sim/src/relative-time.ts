const units: [string, number][] = [
  ['year', 365 * 86400],
  ['month', 30 * 86400],
  ['week', 7 * 86400],
  ['day', 86400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/**
 * Approximates Foundation's `RelativeDateTimeFormatter` with `.full` units and the en_US locale,
 * which tart's text `list` uses for `Accessed` ("3 minutes ago", "in 0 seconds").
 */
export function relativeTime(date: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - date.getTime()) / 1000);
  const magnitude = Math.abs(seconds);
  for (const [unit, size] of units) {
    const count = Math.floor(magnitude / size);
    if (count >= 1 || unit === 'second') {
      const label = `${count} ${unit}${count === 1 ? '' : 's'}`;
      return seconds > 0 ? `${label} ago` : `in ${label}`;
    }
  }
  return 'in 0 seconds';
}
