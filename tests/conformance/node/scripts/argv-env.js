// Arguments after the script and an environment variable from the image's config.
console.log(JSON.stringify(process.argv.slice(2)));
console.log('CONF_GREETING', process.env.CONF_GREETING);
console.log('argv0 is node', /node$/.test(process.argv0) || process.argv0 === 'node');
console.log('execArgv', JSON.stringify(process.execArgv));
