// Intl number formatting: currency, compact, percent, units; plural rules; collation.
console.log(new Intl.NumberFormat('en-IN', { style: 'currency', currency: 'INR' }).format(1234567.891));
console.log(new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' }).format(1234.5));
console.log(new Intl.NumberFormat('en', { notation: 'compact' }).format(9876543));
console.log(new Intl.NumberFormat('fr', { style: 'percent', maximumFractionDigits: 1 }).format(0.4567));
console.log(new Intl.NumberFormat('en', { style: 'unit', unit: 'kilometer-per-hour' }).format(88));
console.log(new Intl.PluralRules('ru').select(3), new Intl.PluralRules('en', { type: 'ordinal' }).select(22));
console.log(['ä', 'a', 'z', 'Z', 'é'].sort(new Intl.Collator('de').compare).join(''), ['ä', 'a', 'z'].sort(new Intl.Collator('sv').compare).join(''));
console.log((12345.678).toLocaleString('en-US'), (0.5).toLocaleString('ar-EG'));
