/** Calendar arithmetic for guest programs: the shared module in src/core (the RTC model uses it too). */
export * from '../../../core/calendar.js';
