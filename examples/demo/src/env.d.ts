// Types for the imports the demo makes that are not TypeScript modules.
declare module '*.svg' {
  const url: string
  export default url
}
declare module '*.css'
