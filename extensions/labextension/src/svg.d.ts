// The builder inlines imported SVG files as strings.
declare module '*.svg' {
  const value: string;
  export default value;
}
