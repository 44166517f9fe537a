/**
 * Tandem's one JSON reader and writer. Rule: every JSON Tandem reads or writes goes through it; it is
 * exported only to Tandem's own modules and is no API for users.
 */
package dev.tandem.runtime.json;
