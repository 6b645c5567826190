// Intl date formatting with full ICU, fixed instants, UTC.
const d = new Date(Date.UTC(2024, 1, 29, 13, 45, 7));
for (const loc of ['en-US', 'de-DE', 'ja-JP', 'ar-EG', 'fr-FR'])
  console.log(loc, new Intl.DateTimeFormat(loc, { dateStyle: 'full', timeStyle: 'long', timeZone: 'UTC' }).format(d));
console.log(new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', hour: 'numeric', minute: 'numeric' }).format(d));
console.log(d.toISOString(), d.toUTCString());
console.log(new Intl.RelativeTimeFormat('es', { numeric: 'auto' }).format(-1, 'day'));
