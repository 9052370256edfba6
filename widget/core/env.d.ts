// Build-time constants the widget's Vite modes define (false in the shipped tp.js, true under vitest).
declare const __DEBUG__: boolean;
